// Valence, arousal and frustration derived from the six emotion probabilities. Definitions and
// their rationale: core/events/README.md.
import { EMOTIONS, type Emotion } from '../emotions.ts';

export type Probs = Record<Emotion, number>;

/**
 * Where each class sits on Russell's circumplex (valence -1…1, arousal 0…1). Chosen to keep the
 * circumplex's ordering: anger and fear high arousal, sadness low, happiness the only positive class.
 */
export const CIRCUMPLEX: Readonly<Record<Emotion, { valence: number; arousal: number }>> = Object.freeze({
  angry: { valence: -0.7, arousal: 0.9 },
  disgust: { valence: -0.6, arousal: 0.5 },
  fear: { valence: -0.6, arousal: 0.8 },
  happy: { valence: 0.8, arousal: 0.65 },
  neutral: { valence: 0, arousal: 0.25 },
  sad: { valence: -0.6, arousal: 0.15 },
});

/** Probability-weighted circumplex coordinates. */
export function valenceArousal(probs: Probs): { valence: number; arousal: number } {
  let valence = 0;
  let arousal = 0;
  let total = 0;
  for (const e of EMOTIONS) {
    valence += probs[e] * CIRCUMPLEX[e].valence;
    arousal += probs[e] * CIRCUMPLEX[e].arousal;
    total += probs[e];
  }
  if (!(total > 0)) return { valence: 0, arousal: 0 };
  return { valence: clamp(valence / total, -1, 1), arousal: clamp(arousal / total, 0, 1) };
}

/**
 * One window's frustration evidence in [0, 1]: anger plus half of disgust (the frustration-related
 * negative classes), scaled by arousal so that a flat, resigned negative reads lower than a heated one.
 */
export function frustrationEvidence(probs: Probs, arousal: number): number {
  return clamp((probs.angry + 0.5 * probs.disgust) * (0.5 + 0.5 * arousal), 0, 1);
}

/** Exponential moving average; the first value passes through unchanged. */
export class Ema {
  private value: number | undefined;
  constructor(private readonly alpha: number) {}
  update(x: number): number {
    this.value = this.value === undefined ? x : this.alpha * x + (1 - this.alpha) * this.value;
    return this.value;
  }
}

/** EMA over each class probability; the smoothed vector stays a distribution. */
export class ProbsEma {
  private readonly emas: Record<Emotion, Ema>;
  constructor(alpha: number) {
    this.emas = Object.fromEntries(EMOTIONS.map((e) => [e, new Ema(alpha)])) as Record<Emotion, Ema>;
  }
  update(probs: Probs): Probs {
    return Object.fromEntries(EMOTIONS.map((e) => [e, this.emas[e].update(probs[e])])) as Probs;
  }
}

export interface Affect {
  valence: number;
  arousal: number;
  frustration: number;
}

/**
 * Per-speaker affect tracker: valence and arousal from the EMA-smoothed probabilities, frustration
 * as the EMA of per-window evidence (so it needs persistence to build up, and fades when it stops).
 */
export class AffectTracker {
  private readonly probs: ProbsEma;
  private readonly frustration: Ema;
  constructor(alpha: number) {
    this.probs = new ProbsEma(alpha);
    this.frustration = new Ema(alpha);
  }
  update(probs: Probs): Affect {
    const smoothed = this.probs.update(probs);
    const { valence, arousal } = valenceArousal(smoothed);
    const instantArousal = valenceArousal(probs).arousal;
    const frustration = clamp(this.frustration.update(frustrationEvidence(probs, instantArousal)), 0, 1);
    return { valence, arousal, frustration };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
