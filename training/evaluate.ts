// Evaluation of a model on labelled clips' frame descriptors: per corpus, per window and per
// utterance (mean of its window probabilities).
import type { CorpusId } from '../core/corpora/clip.ts';
import { type ClassificationReport, classificationReport } from '../core/evaluation/classification.ts';
import type { FeatureMatrix } from '../core/features/matrix.ts';
import { type EmotionModel, scoreFeatureWindows } from '../core/model/model.ts';

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

/** Window and utterance probabilities of each item. */
export function predictItems(
  model: EmotionModel,
  items: EvalItem[],
): { windows: Float32Array[]; utterance: Float32Array }[] {
  return items.map((item) => {
    const windows = scoreFeatureWindows(model, item.lld).map((w) => w.probs);
    const utterance = new Float32Array(model.labels.length);
    for (const p of windows) for (let c = 0; c < p.length; c++) utterance[c]! += p[c]! / windows.length;
    return { windows, utterance };
  });
}

export function evaluateByCorpus(model: EmotionModel, items: EvalItem[]): CorpusEvaluation[] {
  return reportByCorpus(predictItems(model, items), items, model.labels.length);
}

/** Per-corpus window and utterance reports of predictions made for `items` (by any model). */
export function reportByCorpus(
  preds: { windows: Float32Array[]; utterance: Float32Array }[],
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
