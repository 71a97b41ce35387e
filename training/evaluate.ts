// Evaluation of a model on labelled clips' frame descriptors: per corpus, per window and per
// utterance (mean of its window probabilities). Scores go through a ModelRunner (core/model/runner.ts),
// the one scoring path; training's own evaluations run on tfjs wasm, the runtime it trains on, so a
// run's numbers and the epochs it keeps do not depend on which accelerators are installed.
import type { CorpusClip, CorpusId } from '../core/corpora/clip.ts';
import { type ClassificationReport, classificationReport } from '../core/evaluation/classification.ts';
import type { FeatureMatrix } from '../core/features/matrix.ts';
import type { EmotionModel } from '../core/model/format.ts';
import { type ModelRunner, openRunner } from '../core/model/runner.ts';
import { streamingWindow } from '../core/model/windows.ts';
import { scoreChannel } from '../core/recordings/channel.ts';
import { DEFAULT_SETTINGS, modelStreaming } from '../core/streaming/config.ts';

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

/** The utterance UA averaged over corpora (0 for none). */
export function meanUa(evals: readonly CorpusEvaluation[]): number {
  return evals.reduce((a, e) => a + e.utterance.ua, 0) / Math.max(1, evals.length);
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

/**
 * The product path's evaluation (what `voicepulse eval` measures): each clip's audio scored as a live
 * call scores it (core/recordings/channel.ts: voice-activity-gated windows from the clip's own audio)
 * and its utterance score the mean of those windows. Training's own evaluation (evaluateModel)
 * instead scores every window of the clip's cached frame features.
 */
export async function evaluateProductPath(
  model: EmotionModel,
  clips: readonly { clip: CorpusClip; label: number }[],
  audio: (clip: CorpusClip) => Promise<Float32Array>,
): Promise<CorpusEvaluation[]> {
  return reportByCorpus(
    await predictProductPath(model, clips, audio),
    clips.map((c) => ({ label: c.label, corpus: c.clip.corpus })),
    model.labels.length,
  );
}

/** Each clip's window and utterance probabilities on the product path (evaluateProductPath's). */
export function predictProductPath(
  model: EmotionModel,
  clips: readonly { clip: CorpusClip }[],
  audio: (clip: CorpusClip) => Promise<Float32Array>,
): Promise<ItemPrediction[]> {
  const config = modelStreaming(DEFAULT_SETTINGS, streamingWindow(model.window));
  return withTrainingRunner(model, async (runner) => {
    const out: ItemPrediction[] = [];
    for (const { clip } of clips) {
      const windows = (await scoreChannel(runner, await audio(clip), config)).map((w) =>
        Float32Array.from(model.labels, (label) => w.probs[label]),
      );
      const utterance = new Float32Array(model.labels.length);
      for (const p of windows) for (let c = 0; c < p.length; c++) utterance[c]! += p[c]! / windows.length;
      out.push({ windows, utterance });
    }
    return out;
  });
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
