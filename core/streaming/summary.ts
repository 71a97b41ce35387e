// End-of-call emotion statistics for one speaker, accumulated window by window.
import { EMOTIONS } from '../emotions.ts';
import type { Probs } from './affect.ts';

/**
 * Span at each end of the call compared by the start/end statistics: a minute, or a third of the
 * scored span when that is shorter, so a short call still compares its opening with its close.
 */
export const SUMMARY_EDGE_MS = 60_000;

export interface ScoredWindow {
  startMs: number;
  endMs: number;
  probs: Probs;
  valence: number;
  frustration: number;
}

export interface EmotionStats {
  emotionMix: Probs;
  meanFrustration: number;
  peakFrustration: number;
  peakFrustrationAtMs: number | null;
  startValence: number;
  endValence: number;
  startFrustration: number;
  endFrustration: number;
  scoredWindows: number;
}

export class EmotionSummary {
  // Only the numbers the summary needs: a long call keeps O(windows) small records, not audio.
  private readonly windows: ScoredWindow[] = [];

  add(w: ScoredWindow): void {
    this.windows.push(w);
  }

  /** Null when no window was scored. */
  stats(): EmotionStats | null {
    const ws = this.windows;
    if (ws.length === 0) return null;
    const mix = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Probs;
    let sumF = 0;
    let peak = ws[0]!;
    for (const w of ws) {
      for (const e of EMOTIONS) mix[e] += w.probs[e] / ws.length;
      sumF += w.frustration;
      if (w.frustration > peak.frustration) peak = w;
    }
    const first = ws[0]!.startMs;
    const last = ws.at(-1)!.endMs;
    const edge = Math.min(SUMMARY_EDGE_MS, (last - first) / 3);
    const head = ws.filter((w) => w.startMs < first + edge);
    const tail = ws.filter((w) => w.endMs > last - edge);
    for (const e of EMOTIONS) mix[e] = Math.min(1, Math.max(0, mix[e]));
    return {
      emotionMix: mix,
      meanFrustration: sumF / ws.length,
      peakFrustration: peak.frustration,
      peakFrustrationAtMs: peak.endMs,
      startValence: mean(head.map((w) => w.valence)),
      endValence: mean(tail.map((w) => w.valence)),
      startFrustration: mean(head.map((w) => w.frustration)),
      endFrustration: mean(tail.map((w) => w.frustration)),
      scoredWindows: ws.length,
    };
  }
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
