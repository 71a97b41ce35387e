import { describe, expect, it } from 'vitest';
import type { CorpusClip } from '../core/corpora/clip.ts';
import { seededRandom } from '../core/corpora/seeded.ts';
import { EMOTIONS } from '../core/emotions.ts';
import type { FeatureMatrix } from '../core/features/matrix.ts';
import type { LabeledClip } from './dataset.ts';
import { evaluateByCorpus } from './evaluate.ts';
import { gaussian } from './train-mlp.ts';
import { TDNN_SETTINGS, type TdnnTrainSettings, trainTdnn, weightedUa } from './train-tdnn.ts';

const MELS = 16;

/** Class c modulates mel bands 2c..2c+1 at 4 Hz on top of noise: learnable only from frame dynamics. */
function syntheticMel(label: number, seed: string): FeatureMatrix {
  const random = seededRandom(seed);
  const cols = 120 + Math.floor(random() * 100);
  const data = new Float32Array(MELS * cols);
  for (let m = 0; m < MELS; m++)
    for (let t = 0; t < cols; t++) {
      const signal = Math.floor(m / 2) === label ? 8 * Math.sin((2 * Math.PI * 4 * t) / 100) : 0;
      data[m * cols + t] = -40 + 3 * m + signal + gaussian(random);
    }
  return { rows: MELS, cols, data };
}

function syntheticClips(): { clips: LabeledClip[]; mels: Map<string, FeatureMatrix> } {
  const clips: LabeledClip[] = [];
  const mels = new Map<string, FeatureMatrix>();
  for (let i = 0; i < 96; i++) {
    const label = i % EMOTIONS.length;
    const split = i < 72 ? 'train' : 'validation';
    const clip: CorpusClip = {
      corpus: i % 2 ? 'ravdess' : 'tess',
      path: `c${i}.wav`,
      speaker: `s${i % 4}`,
      label: EMOTIONS[label]!,
      emotion: EMOTIONS[label]!,
    };
    clips.push({ clip, emotion: EMOTIONS[label]!, label, split });
    mels.set(clip.path, syntheticMel(label, clip.path));
  }
  return { clips, mels };
}

const SETTINGS: TdnnTrainSettings = {
  ...TDNN_SETTINGS,
  augmentVariants: 1,
  maxEpochs: 12,
  patience: 12,
  lr: 3e-3,
  batchSize: 16,
  net: {
    nMels: MELS,
    pool: 2,
    frames: 50,
    layers: [
      { context: 3, dilation: 1, channels: 16 },
      { context: 3, dilation: 2, channels: 16 },
    ],
    dense: [16],
  },
};

describe('trainTdnn', () => {
  it('learns classes carried by frame dynamics and keeps the best validation epoch', async () => {
    const { clips, mels } = syntheticClips();
    const store = { get: async (list: CorpusClip[]) => list.map((c) => mels.get(c.path)!) };
    const trained = await trainTdnn('synthetic', clips, store, SETTINGS);
    expect(trained.history).toHaveLength(SETTINGS.maxEpochs);
    expect(trained.history.at(-1)!.loss).toBeLessThan(trained.history[0]!.loss);
    const best = Math.max(...trained.history.map((h) => h.valScore));
    expect(weightedUa(trained.validation, SETTINGS.selectionWeights)).toBeCloseTo(best, 6);
    expect(best).toBeGreaterThan(0.8);
    expect(trained.model.scale).toHaveLength(MELS);
    // The returned model is the best epoch's: re-scoring validation reproduces its score.
    const val = clips.filter((c) => c.split === 'validation');
    const again = evaluateByCorpus(
      trained.model,
      val.map((c) => ({ lld: mels.get(c.clip.path)!, label: c.label, corpus: c.clip.corpus })),
    );
    expect(weightedUa(again, SETTINGS.selectionWeights)).toBeCloseTo(best, 6);
    // The stored validation reports are the fitted temperature's (calibration included).
    expect(trained.model.temperature).not.toBe(1);
    again.forEach((e, i) => {
      expect(e.window.ece).toBeCloseTo(trained.validation[i]!.window.ece, 6);
    });
  }, 60_000);

  it('refits a fixed number of epochs without validation, at the given temperature', async () => {
    const { clips, mels } = syntheticClips();
    const store = { get: async (list: CorpusClip[]) => list.map((c) => mels.get(c.path)!) };
    const all = clips.map((c) => ({ ...c, split: 'train' as const }));
    const trained = await trainTdnn('refit', all, store, SETTINGS, undefined, {
      epochs: 3,
      temperature: 0.8,
    });
    expect(trained.history).toHaveLength(3);
    expect(trained.epoch).toBe(2);
    expect(trained.history.at(-1)!.loss).toBeLessThan(trained.history[0]!.loss);
    expect(trained.validation).toEqual([]);
    expect(trained.model.temperature).toBe(0.8);
    // Without a refit, training needs validation clips.
    await expect(trainTdnn('refit', all, store, SETTINGS)).rejects.toThrow(/validation/);
  }, 60_000);

  it('weights corpora in the selection score', () => {
    const report = (ua: number) => ({ n: 1, ua, wa: ua, macroF1: ua, recall: [], confusion: [], ece: 0 });
    const evals = [
      { corpus: 'ravdess' as const, window: report(0.5), utterance: report(0.5) },
      { corpus: 'tess' as const, window: report(1), utterance: report(1) },
    ];
    expect(weightedUa(evals, { ravdess: 3 })).toBeCloseTo(0.625, 6);
  });
});
