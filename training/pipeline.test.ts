import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CorpusClip, CorpusId } from '../core/corpora/clip.ts';
import type { LabeledClip } from './dataset.ts';
import {
  NEUTRAL_GATE,
  retrainSettings,
  shapeRecipe,
  sharedPrior,
  trainFoldNetwork,
  trainingFolds,
  withChannels,
  withMeanFloor,
  withPool,
  withSpeakerChannels,
} from './pipeline.ts';
import { MELS, syntheticClips } from './testing/synthetic-clips.ts';
import { TDNN_SETTINGS, type TdnnTrainSettings } from './train-tdnn.ts';

const clip = (corpus: CorpusId, speaker: string, split: LabeledClip['split']): LabeledClip => ({
  clip: { corpus, path: `${corpus}-${speaker}.wav`, speaker, label: 'angry', emotion: 'angry' },
  emotion: 'angry',
  label: 0,
  split,
});

/** RAVDESS speakers a and b train and c validates on the manifest, t is test; OAF is TESS's validation. */
const clips = [
  clip('ravdess', 'a', 'train'),
  clip('ravdess', 'b', 'train'),
  clip('ravdess', 'c', 'validation'),
  clip('ravdess', 't', 'test'),
  clip('tess', 'OAF', 'validation'),
];
/** Two RAVDESS speaker folds: c, then a and b. */
const manifest = { folds: (c: CorpusId) => (c === 'ravdess' ? [['c'], ['a', 'b']] : undefined) };

describe('trainingFolds', () => {
  it('validates each network on one fold of speakers and trains it on the others; test and other corpora stay', () => {
    const folds = trainingFolds(clips, true, manifest);
    expect(folds.map((f) => [f.name, f.corpus, f.speakers])).toEqual([
      ['fold1', 'ravdess', ['c']],
      ['fold2', 'ravdess', ['a', 'b']],
    ]);
    const splits = (f: (typeof folds)[number]) => f.clips.map((c) => `${c.clip.speaker}:${c.split}`);
    expect(splits(folds[0]!)).toEqual(['a:train', 'b:train', 'c:validation', 't:test', 'OAF:validation']);
    expect(splits(folds[1]!)).toEqual([
      'a:validation',
      'b:validation',
      'c:train',
      't:test',
      'OAF:validation',
    ]);
  });

  it('trains one network on the manifest split without folds or when asked not to fold', () => {
    expect(trainingFolds(clips, false, manifest)).toEqual([{ name: 'split', clips }]);
    expect(trainingFolds(clips, true, { folds: () => undefined })).toEqual([{ name: 'split', clips }]);
  });

  it('trains speaker channels as one network, on the recipe otherwise unchanged', () => {
    const s = withSpeakerChannels(TDNN_SETTINGS);
    expect(s.speakerFolds).toBe(false);
    expect(s.speakerNorm).toBeDefined();
    expect(s.net).toEqual({ ...TDNN_SETTINGS.net, speakerOffsets: true });
    expect({ ...s, speakerFolds: true, speakerNorm: undefined, net: TDNN_SETTINGS.net }).toEqual({
      ...TDNN_SETTINGS,
      speakerNorm: undefined,
    });
  });

  it("trains speaker channels as v4's speaker folds when asked, the recipe otherwise the same", () => {
    const folded = withSpeakerChannels(TDNN_SETTINGS, 'neutral', true);
    expect(folded.speakerFolds).toBe(true);
    expect({ ...folded, speakerFolds: false }).toEqual(withSpeakerChannels(TDNN_SETTINGS, 'neutral'));
  });

  it("gates the speaker's statistics on neutral-like windows for the 'neutral' history, and only then", () => {
    expect(withSpeakerChannels(TDNN_SETTINGS, 'neutral').speakerNorm).toEqual({
      ...withSpeakerChannels(TDNN_SETTINGS).speakerNorm,
      neutralGate: NEUTRAL_GATE,
    });
    expect(withSpeakerChannels(TDNN_SETTINGS, 'all').speakerNorm?.neutralGate).toBeUndefined();
  });

  it('narrows the network: the first three layers to the width asked, the last frame layer to twice it', () => {
    const s = withChannels(TDNN_SETTINGS, 64);
    expect(s.net.layers.map((l) => l.channels)).toEqual([64, 64, 64, 128]);
    expect(s.net.layers.map((l) => [l.context, l.dilation])).toEqual(
      TDNN_SETTINGS.net.layers.map((l) => [l.context, l.dilation]),
    );
    expect({ ...s, net: { ...s.net, layers: TDNN_SETTINGS.net.layers } }).toEqual(TDNN_SETTINGS);
    expect(withChannels(TDNN_SETTINGS, 128)).toEqual(TDNN_SETTINGS);
  });

  it('centres windows on their loud frames in training and in the model, for a prosody network only', () => {
    const s = withMeanFloor(TDNN_SETTINGS, 40);
    expect(s.net.meanFloorDb).toBe(40);
    expect({ ...s, net: { ...s.net, meanFloorDb: undefined } }).toEqual({
      ...TDNN_SETTINGS,
      net: { ...TDNN_SETTINGS.net, meanFloorDb: undefined },
    });
    expect(() =>
      withMeanFloor({ ...TDNN_SETTINGS, net: { ...TDNN_SETTINGS.net, prosody: false } }, 40),
    ).toThrow(/need a prosody network/);
  });

  it('shapes a recipe with what is asked and keeps the rest the recipe’s own', () => {
    expect(shapeRecipe(TDNN_SETTINGS, {})).toEqual(TDNN_SETTINGS);
    expect(shapeRecipe(TDNN_SETTINGS, { channels: 64, pool: 4, meanFloorDb: 40 })).toEqual(
      withMeanFloor(withPool(withChannels(TDNN_SETTINGS, 64), 4), 40),
    );
    expect(shapeRecipe(TDNN_SETTINGS, { pool: 4 }).net.layers).toEqual(TDNN_SETTINGS.net.layers);
  });

  it('pools more 10 ms frames into each network frame over the same window, or refuses a pool that does not divide it', () => {
    const s = withPool(TDNN_SETTINGS, 4);
    expect([s.net.pool, s.net.frames]).toEqual([4, 50]);
    expect(s.net.frames * s.net.pool).toBe(TDNN_SETTINGS.net.frames * TDNN_SETTINGS.net.pool);
    expect({ ...s, net: { ...s.net, pool: 2, frames: 100 } }).toEqual(TDNN_SETTINGS);
    expect(() => withPool(TDNN_SETTINGS, 3)).toThrow(/pool 3 does not divide the window's 200 frames/);
  });
});

describe('sharedPrior', () => {
  /** Frame descriptors of one clip: energy, F0 and voicing rows, every frame at `energy` dB and `f0`. */
  const frames = (energy: number, f0: number, voiced = 10) => ({
    rows: 3,
    cols: voiced,
    data: Float32Array.from([
      ...Array(voiced).fill(energy),
      ...Array(voiced).fill(f0),
      ...Array(voiced).fill(1),
    ]),
  });
  // a and b train fold 1, c trains fold 2; OAF is TESS's validation speaker, trained by neither; t is test.
  const levels: Record<string, [number, number]> = {
    a: [-20, 10],
    b: [-30, 20],
    c: [-40, 30],
    OAF: [0, 90],
    t: [0, 90],
  };
  const folds = trainingFolds(clips, true, manifest);
  const store = {
    get: async (list: CorpusClip[]) => list.map((c) => frames(...levels[c.speaker]!)),
  };
  const channels = withSpeakerChannels(TDNN_SETTINGS, 'neutral', true);

  it("gives every fold one prior: the voiced mean of all clips some fold trains on, never test or another's validation", async () => {
    const shared = await sharedPrior(channels, folds, store);
    expect(shared.speakerNorm?.priorMean).toEqual([-30, 20]);
    expect({ ...shared, speakerNorm: { ...shared.speakerNorm, priorMean: undefined } }).toEqual({
      ...channels,
      speakerNorm: { ...channels.speakerNorm, priorMean: undefined },
    });
  });

  it("retrains without a corpus on a prior of its own clips: the shared one holds the left-out corpus's speech", async () => {
    const shared = await sharedPrior(channels, folds, store);
    const retrain = retrainSettings(shared);
    expect(retrain.speakerNorm).toEqual(channels.speakerNorm);
    expect(retrain.speakerNorm).not.toHaveProperty('priorMean');
    expect(retrain.maxEpochs).toBeLessThan(TDNN_SETTINGS.maxEpochs);
    expect(retrainSettings(TDNN_SETTINGS).speakerNorm).toBeUndefined();
  });

  it('leaves one network, and a recipe without speaker channels, as they are', async () => {
    expect(await sharedPrior(channels, [folds[0]!], store)).toBe(channels);
    expect(await sharedPrior({ ...TDNN_SETTINGS }, folds, store)).toEqual(TDNN_SETTINGS);
  });
});

describe('trainFoldNetwork', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'vp-folds-'));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
  const { clips, mels } = syntheticClips();
  const store = {
    id: 'descriptors-1',
    get: async (list: CorpusClip[]) => list.map((c) => mels.get(c.path)!),
  };
  const settings: TdnnTrainSettings = {
    ...TDNN_SETTINGS,
    augmentVariants: 1,
    maxEpochs: 2,
    patience: 2,
    batchSize: 16,
    net: {
      nMels: MELS,
      pool: 2,
      frames: 50,
      layers: [{ context: 3, dilation: 1, channels: 8 }],
      dense: [8],
    },
  };
  const fold = { name: 'fold1', corpus: 'ravdess' as const, speakers: ['s3'], clips };

  it('checkpoints the network and reuses it only when nothing that determines it changed', async () => {
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);
    const first = await trainFoldNetwork('v', fold, settings, store, cacheDir, log);
    expect(first.result).toMatchObject({ name: 'fold1', corpus: 'ravdess', speakers: ['s3'] });
    expect(first.result.history.length).toBeGreaterThan(0);
    expect(first.result.validation.map((e) => e.corpus).sort()).toEqual(['ravdess', 'tess']);
    expect(logs.some((m) => m.includes('from checkpoint'))).toBe(false);

    const again = await trainFoldNetwork('v', fold, settings, store, cacheDir, log);
    expect(logs.filter((m) => m.includes('from checkpoint'))).toHaveLength(1);
    expect(again.network.members).toEqual(first.network.members);
    expect(again.network.temperature).toBe(first.network.temperature);
    expect(again.result).toEqual(JSON.parse(JSON.stringify(first.result)));

    // Without a checkpoint directory: trained anew.
    const before = logs.filter((m) => m.includes('from checkpoint')).length;
    const fresh = await trainFoldNetwork('v', fold, settings, store, undefined, log);
    expect(logs.filter((m) => m.includes('from checkpoint'))).toHaveLength(before);
    expect(fresh.network.members).toEqual(first.network.members);

    // Another seed, another descriptor cache or other splits: trained anew.
    for (const [s, st, f] of [
      [{ ...settings, seed: 'other' }, store, fold],
      [settings, { ...store, id: 'descriptors-2' }, fold],
      [
        settings,
        store,
        { ...fold, clips: clips.map((c, i): LabeledClip => (i === 0 ? { ...c, split: 'validation' } : c)) },
      ],
    ] as const) {
      const before = logs.filter((m) => m.includes('from checkpoint')).length;
      await trainFoldNetwork('v', f, s, st, cacheDir, log);
      expect(logs.filter((m) => m.includes('from checkpoint'))).toHaveLength(before);
    }
  }, 120_000);

  it('fine-tunes from a trained member: its weights and input scale are the start, its shape must match', async () => {
    const base = await trainFoldNetwork('v', fold, settings, store, undefined, () => {});
    const init = { model: { ...base.network, version: 'base' }, member: 0 };
    const none = { ...settings, maxEpochs: 0 };
    const logs: string[] = [];
    await trainFoldNetwork('t', fold, none, store, cacheDir, (m) => logs.push(m));
    // No epoch: the kept network is the start itself, not the checkpoint of the run from scratch.
    const start = await trainFoldNetwork('t', fold, none, store, cacheDir, (m) => logs.push(m), { init });
    expect(logs.some((m) => m.includes('from checkpoint'))).toBe(false);
    expect(start.network.members).toEqual(base.network.members);
    expect(start.network.scale).toEqual(base.network.scale);
    const wider = { ...settings, net: { ...settings.net, dense: [16] } };
    await expect(trainFoldNetwork('t', fold, wider, store, undefined, () => {}, { init })).rejects.toThrow(
      /^INIT_MISMATCH: cannot fine-tune base/,
    );
  }, 120_000);

  it('distils a teacher: the student reads the teacher’s input scale, learns from it, and must share its input', async () => {
    const base = await trainFoldNetwork('v', fold, settings, store, undefined, () => {});
    const teacher = { ...base.network, version: 'teacher', scale: base.network.scale.map((v) => v * 2) };
    const distil = { ...settings, distillation: { weight: 0.7, temperature: 2 } };
    const student = await trainFoldNetwork('s', fold, distil, store, undefined, () => {}, { teacher });
    expect(student.network.scale).toEqual(teacher.scale);
    // Weight 0 is training on the labels alone (with the teacher's scale): other weights.
    const unweighted = { ...settings, distillation: { weight: 0, temperature: 2 } };
    const alone = await trainFoldNetwork('s', fold, unweighted, store, undefined, () => {}, { teacher });
    expect(alone.network.scale).toEqual(teacher.scale);
    expect(student.network.members[0]!.dense[0]!.w).not.toEqual(alone.network.members[0]!.dense[0]!.w);
    const narrower = { ...teacher, network: { ...teacher.network, frames: 40 } };
    await expect(
      trainFoldNetwork('s', fold, distil, store, undefined, () => {}, { teacher: narrower }),
    ).rejects.toThrow(/^TEACHER_MISMATCH: cannot distil teacher/);
  }, 120_000);
});
