// The narrow scoring interface the workers need, and its adapter over the emotion model.
import { EMOTIONS } from '../../core/emotions.ts';
import type { EmotionProbs } from '../../core/events/schema.ts';
import { frameDescriptors } from '../../core/model/frontend.ts';
import { windowFunctionals } from '../../core/model/functionals.ts';
import { classifyDescriptor, type EmotionModel } from '../../core/model/model.ts';

export interface Scorer {
  readonly modelVersion: string;
  /** Six class probabilities for each window (8 kHz mono samples), in input order. */
  scoreWindows(windows: readonly Float32Array[]): EmotionProbs[];
}

/** Scores each window as one unit: descriptors over the window's own frames, functionals over all of them. */
export function modelScorer(model: EmotionModel): Scorer {
  return {
    modelVersion: model.version,
    scoreWindows(windows) {
      return windows.map((samples) => {
        const lld = frameDescriptors(samples, model.frontend);
        const p = classifyDescriptor(model, windowFunctionals(lld, model.frontend, 0, lld.cols));
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
