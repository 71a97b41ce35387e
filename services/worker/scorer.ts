// The narrow scoring interface the workers need, and its adapter over the emotion model.
import { EMOTIONS } from '../../core/emotions.ts';
import type { EmotionProbs } from '../../core/events/schema.ts';
import { classifyWindows, type EmotionModel } from '../../core/model/model.ts';

export interface Scorer {
  readonly modelVersion: string;
  /** Six class probabilities for each window (8 kHz mono samples), in input order. */
  scoreWindows(windows: readonly Float32Array[]): EmotionProbs[];
}

/** Scores each window as one unit, the whole batch in one model call. */
export function modelScorer(model: EmotionModel): Scorer {
  return {
    modelVersion: model.version,
    scoreWindows(windows) {
      return classifyWindows(model, windows).map((p) => {
        const probs = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as EmotionProbs;
        // Clamp float32 rounding so the event schema's [0, 1] bounds always hold.
        model.labels.forEach((label, i) => {
          probs[label] = Math.min(1, Math.max(0, p[i]!));
        });
        return probs;
      });
    },
  };
}
