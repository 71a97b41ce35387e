import { describe, expect, it } from 'vitest';
import type { CorpusClip } from '../core/corpora/clip.ts';
import { seededRandom } from '../core/random.ts';
import { evaluateModel } from './evaluate.ts';
import { loudnessClips, MELS, syntheticClips } from './testing/synthetic-clips.ts';
import {
  speakerCentres,
  TDNN_SETTINGS,
  type TdnnTrainSettings,
  trainTdnn,
  weightedUa,
} from './train-tdnn.ts';

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
    const again = await evaluateModel(
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

  it("with speaker normalisation, learns what only the speaker's level shows, and ships its prior", async () => {
    const { clips, mels } = loudnessClips();
    const store = { get: async (list: CorpusClip[]) => list.map((c) => mels.get(c.path)!) };
    const settings: TdnnTrainSettings = {
      ...SETTINGS,
      net: { ...SETTINGS.net, prosody: true },
    };
    const speakerNorm = { priorFrames: 200, maxHistory: 3, sameEmotion: 0.3 };
    const speaker = await trainTdnn('loud-speaker', clips, store, {
      ...settings,
      speakerNorm,
      // One input channel of 22 carries the class here: more, larger steps than the other tests.
      maxEpochs: 30,
      patience: 30,
      lr: 1e-2,
      batchSize: 8,
      weightAverage: 0.9,
      net: { ...settings.net, speakerOffsets: true },
    });
    const window = await trainTdnn('loud-window', clips, store, settings);
    const best = (t: typeof speaker) => Math.max(...t.history.map((h) => h.valScore));
    // Six classes: a window's own means leave chance (measured 0.17); speaker channels keep the class (0.89).
    expect(best(window)).toBeLessThan(0.3);
    expect(best(speaker)).toBeGreaterThan(0.6);
    expect(window.model.speakerPrior).toBeUndefined();
    // The prior is the training frames' mean: energy −30 dB plus the mean level (15 dB), F0 51.5.
    const { mean, frames } = speaker.model.speakerPrior!;
    expect(frames).toBe(200);
    expect(mean[0]!).toBeGreaterThan(-16);
    expect(mean[0]!).toBeLessThan(-14);
    expect(mean[1]!).toBeCloseTo(51.5, 0);
    // Speaker statistics need the network's speaker channels, and the other way round.
    await expect(trainTdnn('loud-mismatch', clips, store, { ...settings, speakerNorm })).rejects.toThrow(
      /^INVALID_SETTINGS: /,
    );
  }, 120_000);

  it("with a neutral gate, measures every training window against its speaker's neutral clips only", () => {
    const { clips, mels } = loudnessClips();
    const train = clips.filter((c) => c.split === 'train');
    const variants = [train.map((c) => mels.get(c.clip.path)!)];
    const o = { priorFrames: 0, maxHistory: 3, sameEmotion: 0.3 };
    const gated = speakerCentres(train, variants, { ...o, neutralGate: 0.5 }, seededRandom('centres'));
    const plain = speakerCentres(train, variants, o, seededRandom('centres'));
    expect(gated.prior.neutralGate).toBe(0.5);
    expect(plain.prior.neutralGate).toBeUndefined();
    // Energy is −30 dB + 2·(speaker − 1.5) + 6·label (+ noise): neutral (label 4) sits 24 dB up.
    const neutralLevel = (i: number) => -30 + 2 * (Number(train[i]!.clip.speaker.slice(1)) - 1.5) + 24;
    const angry = train.findIndex((c) => c.emotion === 'angry');
    for (let k = 0; k < 20; k++) {
      const c = gated.centre(angry, 0, 100);
      // No history drawn: the prior alone; else the speaker's neutral clips, never the angry clip itself.
      if (c.own > 0) expect(c.energy).toBeCloseTo(neutralLevel(angry), 0);
      else expect(c.energy).toBeCloseTo(gated.prior.mean[0]!, 5);
      // Ungated, the window's own frames always count: the centre leans towards the angry level.
      expect(plain.centre(angry, 0, 100).own).toBeGreaterThan(0);
    }
    expect(gated.full[angry]!.energy).toBeCloseTo(neutralLevel(angry), 0);
    // A given prior mean (a speaker-fold ensemble's shared one) replaces the training clips' own.
    const given = speakerCentres(train, variants, { ...o, priorMean: [-12, 40] }, seededRandom('centres'));
    expect(Array.from(given.prior.mean)).toEqual([-12, 40]);
    expect(Array.from(plain.prior.mean)).not.toEqual([-12, 40]);
  });

  it('needs validation clips for early stopping', async () => {
    const { clips, mels } = syntheticClips();
    const store = { get: async (list: CorpusClip[]) => list.map((c) => mels.get(c.path)!) };
    const all = clips.map((c) => ({ ...c, split: 'train' as const }));
    await expect(trainTdnn('no-validation', all, store, SETTINGS)).rejects.toThrow(
      /^EMPTY_SPLIT: .*validation/,
    );
  });

  it('weights corpora in the selection score', () => {
    const report = (ua: number) => ({ n: 1, ua, wa: ua, macroF1: ua, recall: [], confusion: [], ece: 0 });
    const evals = [
      { corpus: 'ravdess' as const, window: report(0.5), utterance: report(0.5) },
      { corpus: 'tess' as const, window: report(1), utterance: report(1) },
    ];
    expect(weightedUa(evals, { ravdess: 3 })).toBeCloseTo(0.625, 6);
  });
});
