// Class probabilities as callers use them: a record over the six emotions, and the utterance score
// as the mean of its windows'.
import { EMOTIONS, type Emotion } from '../emotions.ts';

/** Class probabilities in `labels` order as a record over the six emotions (absent labels: 0). */
export function probsRecord(labels: readonly Emotion[], probs: Float32Array): Record<Emotion, number> {
  const out = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>;
  // Clamp float32 rounding so consumers' [0, 1] bounds (the event schema's) always hold.
  labels.forEach((label, i) => {
    out[label] = Math.min(1, Math.max(0, probs[i]!));
  });
  return out;
}

/** The mean of window probabilities: the utterance-level score. */
export function averageProbs(
  windows: readonly { probs: Record<Emotion, number> }[],
): Record<Emotion, number> {
  const out = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>;
  for (const w of windows) for (const e of EMOTIONS) out[e] += w.probs[e] / windows.length;
  return out;
}
