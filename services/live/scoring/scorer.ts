// The narrow scoring interface the scoring engine needs (tests inject their own), and its adapter
// over a ModelRunner (core/model/runner.ts), the one way the product scores.
import type { EmotionProbs, Explanation } from '../../../core/events/schema.ts';
import { probsRecord } from '../../../core/model/probs.ts';
import {
  type ModelRunner,
  ModelStream,
  openModel,
  type RunnerOptions,
  type StreamWindow,
} from '../../../core/model/runner.ts';

export interface Scorer {
  readonly modelVersion: string;
  /** Six class probabilities for each window (a speaker's 8 kHz audio), in input order. */
  scoreWindows(windows: readonly StreamWindow[]): Promise<EmotionProbs[]>;
  /**
   * scoreWindows plus what drove each score (core/model/explain.ts), where the scorer explains; the
   * engine uses it when present.
   */
  explainWindows?(windows: readonly StreamWindow[]): Promise<ScoredWindow[]>;
}

/** A window's score and explanation, its segments' offsets relative to the window's start. */
export interface ScoredWindow {
  probs: EmotionProbs;
  explanation?: Explanation;
}

export interface ScorerOptions extends RunnerOptions {
  /** Explain every full-length window (explainWindows). Default false. */
  explain?: boolean;
}

/** A scorer over a loaded model, which can name the model and its runtime (logs, `ready` messages). */
export interface ModelScorer extends Scorer {
  readonly description: string;
  /** Frees the runtime's sessions; the scorer cannot score after it. */
  release(): Promise<void>;
}

/**
 * Scores through `runner`: each window as one unit, the whole batch in one model call; with
 * `explain`, explainWindows too.
 */
export function runnerScorer(runner: ModelRunner, explain = false): ModelScorer {
  const { labels, version } = runner.model;
  const scorer: ModelScorer = {
    modelVersion: version,
    description: runner.describe(),
    release: () => runner.release(),
    async scoreWindows(windows) {
      return (await runner.scoreWindows(windows)).map((p) => probsRecord(labels, p));
    },
  };
  if (explain)
    scorer.explainWindows = async (windows) =>
      (await runner.explainWindows(windows)).map(({ probs, explanation }) => ({
        probs: probsRecord(labels, probs),
        ...(explanation && {
          explanation: { emotion: labels[explanation.label]!, segments: explanation.segments },
        }),
      }));
  return scorer;
}

/** The model in `dir` on its runtime, as a scorer (a scoring thread's, an analysis thread's). */
export async function openScorer(dir: string, opts: ScorerOptions): Promise<ModelScorer> {
  const runner = await openModel(dir, opts);
  return warmScorer(runnerScorer(runner, opts.explain), runner);
}

/**
 * `scorer` after one silent window of the model's length went through the path it will score on, so
 * that its first real batch does not pay for the runtime's first run or the explaining graph's
 * session: admission charges calls at the measured cost of a window (ingress/capacity.ts).
 */
export async function warmScorer(scorer: ModelScorer, runner: ModelRunner): Promise<ModelScorer> {
  const { window, frontend } = runner.model;
  const stream = new ModelStream();
  const windows = [{ stream, samples: new Float32Array((window.lengthMs * frontend.sr) / 1000) }];
  await (scorer.explainWindows ? scorer.explainWindows(windows) : scorer.scoreWindows(windows));
  stream.close();
  return scorer;
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
  explain = false,
): Scorer {
  const ready = opening.then((runner) => warmScorer(runnerScorer(runner, explain), runner));
  ready.then((s) => onReady?.(s.description)).catch(() => {}); // a failure surfaces at the first batch
  const scorer: Scorer = {
    modelVersion,
    async scoreWindows(windows) {
      return (await ready).scoreWindows(windows);
    },
  };
  if (explain) scorer.explainWindows = async (windows) => (await ready).explainWindows!(windows);
  return scorer;
}
