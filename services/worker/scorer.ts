// The narrow scoring interface the workers need, and its adapter over the emotion model.
import type { EmotionProbs } from '../../core/events/schema.ts';
import { type EmotionModel, scoreWindows } from '../../core/model/model.ts';

export interface Scorer {
  readonly modelVersion: string;
  /** Six class probabilities for each window (8 kHz mono samples), in input order. */
  scoreWindows(windows: readonly Float32Array[]): EmotionProbs[];
}

/**
 * Scores each window as one unit: asking the model for windows longer than the audio gives exactly
 * one window over all of its frames.
 */
export function modelScorer(model: EmotionModel): Scorer {
  const sr = model.frontend.sr;
  return {
    modelVersion: model.version,
    scoreWindows(windows) {
      return windows.map((samples) => {
        const wholeMs = Math.ceil((1000 * samples.length) / sr) + 1000;
        const [only] = scoreWindows(samples, { model, windowMs: wholeMs, hopMs: wholeMs });
        const probs = { ...only!.probs };
        // Clamp float32 rounding so the event schema's [0, 1] bounds always hold.
        for (const e of Object.keys(probs) as (keyof EmotionProbs)[])
          probs[e] = Math.min(1, Math.max(0, probs[e]));
        return probs;
      });
    },
  };
}
