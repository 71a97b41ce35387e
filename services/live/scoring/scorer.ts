// The narrow scoring interface the scoring engine needs (tests inject their own), and its adapter
// over a ModelRunner (core/model/runner.ts), the one way the product scores.
import type { EmotionProbs } from '../../../core/events/schema.ts';
import { probsRecord } from '../../../core/model/probs.ts';
import {
  type ModelRunner,
  openModel,
  type RunnerOptions,
  type StreamWindow,
} from '../../../core/model/runner.ts';

export interface Scorer {
  readonly modelVersion: string;
  /** Six class probabilities for each window (a speaker's 8 kHz audio), in input order. */
  scoreWindows(windows: readonly StreamWindow[]): Promise<EmotionProbs[]>;
}

/** A scorer over a loaded model, which can name the model and its runtime (logs, `ready` messages). */
export interface ModelScorer extends Scorer {
  readonly description: string;
}

/** Scores through `runner`: each window as one unit, the whole batch in one model call. */
export function runnerScorer(runner: ModelRunner): ModelScorer {
  const { labels, version } = runner.model;
  return {
    modelVersion: version,
    description: runner.describe(),
    async scoreWindows(windows) {
      return (await runner.scoreWindows(windows)).map((p) => probsRecord(labels, p));
    },
  };
}

/** The model in `dir` on its runtime, as a scorer (a scoring thread's, an analysis thread's). */
export async function openScorer(dir: string, opts: RunnerOptions): Promise<ModelScorer> {
  return runnerScorer(await openModel(dir, opts));
}

/**
 * A scorer for callers that cannot wait (a backend is built synchronously): the runner opens in the
 * background (onReady gets its description) and the first batch waits for it; a runner that fails
 * to open fails that batch.
 */
export function pendingScorer(
  modelVersion: string,
  opening: Promise<ModelRunner>,
  onReady?: (description: string) => void,
): Scorer {
  const ready = opening.then(runnerScorer);
  ready.then((s) => onReady?.(s.description)).catch(() => {}); // a failure surfaces at the first batch
  return {
    modelVersion,
    async scoreWindows(windows) {
      return (await ready).scoreWindows(windows);
    },
  };
}
