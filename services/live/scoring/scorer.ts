// The narrow scoring interface the workers need, and its adapter over the emotion model.
import type { EmotionProbs } from '../../../core/events/schema.ts';
import { type EmotionModel, probsRecord } from '../../../core/model/model.ts';
import { openRunner, type RuntimeChoice, runtimeChoice } from '../../../core/model/runtime.ts';

export interface Scorer {
  readonly modelVersion: string;
  /** Six class probabilities for each window (8 kHz mono samples), in input order. */
  scoreWindows(windows: readonly Float32Array[]): Promise<EmotionProbs[]>;
}

/**
 * Scores each window as one unit, the whole batch in one model call, on the runtime `choice` names
 * (default VOICEPULSE_MODEL_RUNTIME, see core/model/runtime.ts).
 */
export async function modelScorer(
  model: EmotionModel,
  choice: RuntimeChoice = runtimeChoice(),
): Promise<Scorer & { readonly description: string }> {
  const runner = await openRunner(model, choice);
  return {
    modelVersion: model.version,
    description: runner.describe(),
    async scoreWindows(windows) {
      return (await runner.classifyWindows(windows)).map((p) => probsRecord(model, p));
    },
  };
}

/**
 * modelScorer for callers that cannot wait (a backend is built synchronously): the runtime loads in
 * the background (onReady gets its description) and the first batch waits for it; a runtime that
 * fails to load fails that batch.
 */
export function pendingScorer(model: EmotionModel, onReady?: (description: string) => void): Scorer {
  const ready = modelScorer(model);
  ready.then((s) => onReady?.(s.description)).catch(() => {}); // a failure surfaces at the first batch
  return {
    modelVersion: model.version,
    async scoreWindows(windows) {
      return (await ready).scoreWindows(windows);
    },
  };
}
