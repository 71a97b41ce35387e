// `classify` on a call: each speaker named by role (roles.ts), the agent scored only where the
// tenant's policy allows it (as in live calls), and per speaker an overall emotion mix with valence,
// arousal and frustration computed as the live pipeline does (core/streaming affect and summary).
import type { Emotion } from '../emotions.ts';
import type { SpeakerRole } from '../events/schema.ts';
import { AffectTracker, valenceArousal } from '../streaming/affect.ts';
import { EmotionSummary } from '../streaming/summary.ts';
import type { TenantPolicy } from '../tenancy/policy.ts';

export type SpeakerOverall =
  | {
      scored: true;
      windows: number;
      /** Mean probability of each emotion over the speaker's windows. */
      mix: Record<Emotion, number>;
      /** Circumplex coordinates of the mix. */
      valence: number;
      arousal: number;
      /** The live frustration index: mean, peak, and first vs last minute (or third). */
      frustration: { mean: number; peak: number; start: number; end: number };
      /** Valence of the first vs last minute (or third), as in the call summary. */
      valenceChange: { start: number; end: number };
    }
  | { scored: false; reason: string };

export const AGENT_NOT_SCORED =
  'agent emotion scoring is off for this tenant (EU AI Act Art. 5(1)(f)); see --policies';

/** Whether a speaker's audio may be scored under `policy`. */
export function mayScore(role: SpeakerRole, policy: TenantPolicy): boolean {
  return role === 'customer' || policy.agentEmotionScoring;
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

/** A speaker's overall from its scored windows in time order (none: a speaker too quiet to score). */
export function speakerOverall(
  windows: readonly { startMs: number; endMs: number; probs: Record<Emotion, number> }[],
  emaAlpha: number,
): SpeakerOverall {
  const affect = new AffectTracker(emaAlpha);
  const summary = new EmotionSummary();
  for (const w of windows) {
    const { valence, frustration } = affect.update(w.probs);
    summary.add({ startMs: w.startMs, endMs: w.endMs, probs: w.probs, valence, frustration });
  }
  const stats = summary.stats();
  if (!stats) return { scored: false, reason: 'no window with enough speech to score' };
  const { valence, arousal } = valenceArousal(stats.emotionMix);
  const mix = Object.fromEntries(Object.entries(stats.emotionMix).map(([e, p]) => [e, round(p)]));
  return {
    scored: true,
    windows: stats.scoredWindows,
    mix: mix as Record<Emotion, number>,
    valence: round(valence),
    arousal: round(arousal),
    frustration: {
      mean: round(stats.meanFrustration),
      peak: round(stats.peakFrustration),
      start: round(stats.startFrustration),
      end: round(stats.endFrustration),
    },
    valenceChange: { start: round(stats.startValence), end: round(stats.endValence) },
  };
}
