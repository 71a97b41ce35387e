// Evaluation of a model on labelled clips' frame descriptors: per corpus, per window and per
// utterance (mean of its window probabilities). Scores go through a ModelRunner (core/model/runner.ts),
// the one scoring path; training's own evaluations run on tfjs wasm, the runtime it trains on, so a
// run's numbers and the epochs it keeps do not depend on which accelerators are installed.
import type { CorpusId } from '../core/corpora/clip.ts';
import { type ClassificationReport, classificationReport } from '../core/evaluation/classification.ts';
import type { FeatureMatrix } from '../core/features/matrix.ts';
import type { EmotionModel } from '../core/model/format.ts';
import { type ModelRunner, openRunner } from '../core/model/runner.ts';

export interface EvalItem {
  lld: FeatureMatrix;
  label: number;
  corpus: CorpusId;
}

export interface CorpusEvaluation {
  corpus: CorpusId;
  window: ClassificationReport;
  utterance: ClassificationReport;
}

export interface ItemPrediction {
  windows: Float32Array[];
  utterance: Float32Array;
}

/** Window and utterance probabilities of each item. */
export async function predictItems(runner: ModelRunner, items: EvalItem[]): Promise<ItemPrediction[]> {
  const out: ItemPrediction[] = [];
  for (const item of items) {
    const windows = (await runner.scoreFeatures(item.lld)).map((w) => w.probs);
    const utterance = new Float32Array(runner.model.labels.length);
    for (const p of windows) for (let c = 0; c < p.length; c++) utterance[c]! += p[c]! / windows.length;
    out.push({ windows, utterance });
  }
  return out;
}

export async function evaluateByCorpus(runner: ModelRunner, items: EvalItem[]): Promise<CorpusEvaluation[]> {
  return reportByCorpus(await predictItems(runner, items), items, runner.model.labels.length);
}

/** `use(runner)` with `model` on tfjs wasm (training's runtime), released afterwards. */
export async function withTrainingRunner<T>(
  model: EmotionModel,
  use: (runner: ModelRunner) => Promise<T>,
): Promise<T> {
  const runner = await openRunner(model, { runtime: 'tfjs-wasm' });
  try {
    return await use(runner);
  } finally {
    await runner.release();
  }
}

/** evaluateByCorpus of a model in memory (a training snapshot, a retrained network) on tfjs wasm. */
export function evaluateModel(model: EmotionModel, items: EvalItem[]): Promise<CorpusEvaluation[]> {
  return withTrainingRunner(model, (runner) => evaluateByCorpus(runner, items));
}

/** Per-corpus window and utterance reports of predictions made for `items` (by any model). */
function reportByCorpus(
  preds: ItemPrediction[],
  items: readonly { label: number; corpus: CorpusId }[],
  classes: number,
): CorpusEvaluation[] {
  const corpora = [...new Set(items.map((i) => i.corpus))];
  return corpora.map((corpus) => {
    const idx = items.map((_, i) => i).filter((i) => items[i]!.corpus === corpus);
    const winProbs = idx.flatMap((i) => preds[i]!.windows);
    const winTruth = idx.flatMap((i) => preds[i]!.windows.map(() => items[i]!.label));
    return {
      corpus,
      window: classificationReport(winProbs, winTruth, classes),
      utterance: classificationReport(
        idx.map((i) => preds[i]!.utterance),
        idx.map((i) => items[i]!.label),
        classes,
      ),
    };
  });
}
