// The narrow scoring interface the workers need, and its adapter over the emotion model.
import type { EmotionProbs } from '../../core/events/schema.ts';
import { classifyWindows, type EmotionModel, probsRecord } from '../../core/model/model.ts';

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
      return classifyWindows(model, windows).map((p) => probsRecord(model, p));
    },
  };
}
