import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../features/matrix.ts';
import { speechLike } from '../streaming/testing/synthetic.ts';
import { type EmotionModel, loadModel, ModelError, saveModel } from './format.ts';
import { ModelStream, openRunner } from './runner.ts';
import { type SpeakerPrior, SpeakerStats, voicedStats } from './speaker-norm.ts';
import { inputWidth, TdnnError } from './tdnn.ts';
import { randomWeights, seededModel, smallNetwork } from './testing/tdnn.ts';
import { windowInput } from './windows.ts';

// Two mel bands + energy, F0, voicing: frame t has bands t and 10 + t, energy −t, F0 (semitones)
// 40 + t on even frames and 0 (unvoiced) on odd ones.
const CFG = smallNetwork({ nMels: 2, prosody: true, pool: 1, frames: 8 });
function descriptors(cols: number): FeatureMatrix {
  const rows = 5;
  const data = new Float32Array(rows * cols);
  for (let t = 0; t < cols; t++) {
    data[t] = t;
    data[cols + t] = 10 + t;
    data[2 * cols + t] = -t;
    data[3 * cols + t] = t % 2 === 0 ? 40 + t : 0;
    data[4 * cols + t] = t % 2 === 0 ? 1 : 0;
  }
  return { rows, cols, data };
}
const prior = (frames: number): SpeakerPrior => ({ mean: Float32Array.from([-50, 50]), frames });

describe('SpeakerStats', () => {
  it('counts only voiced frames, and weighs the prior as its frames', () => {
    const stats = new SpeakerStats(prior(2));
    stats.add(descriptors(8), 0, 4); // voiced frames 0 and 2
    expect(stats.voiced).toBe(2);
    // (2·prior + frames 0 and 2) / 4
    expect(stats.centre()).toEqual({ energy: (-100 + 0 - 2) / 4, f0: (100 + 40 + 42) / 4, own: 0.5 });
    stats.add(descriptors(8), 4, 100); // frames 4 and 6; the range is clipped to the matrix
    expect(stats.voiced).toBe(4);
  });

  it('is the prior before any voiced frame; merges counts made elsewhere', () => {
    const stats = new SpeakerStats(prior(5));
    stats.add(descriptors(2), 1, 2); // frame 1 is unvoiced
    expect(stats.centre()).toEqual({ energy: -50, f0: 50, own: 0 });
    const clip = voicedStats(descriptors(8));
    expect(clip.voiced).toBe(4);
    expect(clip.centre()).toEqual({ energy: -3, f0: 43, own: 1 });
    stats.merge(clip);
    expect(stats.centre()).toEqual({ energy: (-250 - 12) / 9, f0: (250 + 172) / 9, own: 4 / 9 });
  });

  it('refuses a prior of the wrong width', () => {
    expect(() => new SpeakerStats({ mean: new Float32Array(3), frames: 1 })).toThrow(TdnnError);
  });
});

describe('windowInput with speaker channels', () => {
  const cfg = { ...CFG, speakerOffsets: true };
  const scale = new Float32Array(inputWidth(cfg)).fill(1);
  scale[7] = 2;

  it("keeps the window's own normalisation and adds its voiced energy and F0 against the speaker's", () => {
    const mel = descriptors(8);
    const x = windowInput(mel, 0, 8, cfg, scale, { energy: -10, f0: 40, own: 0.25 });
    const plain = windowInput(mel, 0, 8, CFG, scale.subarray(0, inputWidth(CFG)));
    expect(inputWidth(cfg)).toBe(inputWidth(CFG) + 3);
    for (let t = 0; t < 8; t++) {
      const row = Array.from(x.subarray(t * 8, t * 8 + 8));
      expect(row.slice(0, 5)).toEqual(Array.from(plain.subarray(t * 5, t * 5 + 5)));
      // Voiced frames 0, 2, 4, 6: energy −3, F0 43; the share is divided by its scale (2).
      expect(row.slice(5)).toEqual([-3 + 10, 43 - 40, 0.25 / 2]);
    }
  });

  it('reads a window without voiced frames as level with the speaker, and needs the centre', () => {
    const mel = descriptors(8);
    const x = windowInput(mel, 1, 2, { ...cfg, frames: 1 }, scale, { energy: -10, f0: 40, own: 0.5 });
    expect(Array.from(x.subarray(5))).toEqual([0, 0, 0.25]);
    expect(() => windowInput(mel, 0, 8, cfg, scale)).toThrow(/speaker centre/);
    expect(() => windowInput(mel, 0, 8, { ...cfg, prosody: false }, scale)).toThrow(/prosody/);
  });
});

describe('a model with speaker channels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vp-speaker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = seededModel('speaker-norm');
  const network = { ...base.network, speakerOffsets: true };
  const model: EmotionModel = {
    ...base,
    network,
    scale: new Float32Array(inputWidth(network)).fill(8),
    members: [randomWeights(network, 'speaker-norm')],
    speakerPrior: { mean: Float32Array.from([-35, 45]), frames: 100 },
  };

  it('round-trips through model.json; a prior without speaker channels, or the reverse, is refused', () => {
    saveModel(model, join(dir, 'ok'));
    const loaded = loadModel(join(dir, 'ok'));
    expect(loaded.speakerPrior?.frames).toBe(100);
    expect(Array.from(loaded.speakerPrior!.mean)).toEqual([-35, 45]);
    expect(loaded.network.speakerOffsets).toBe(true);
    const { speakerPrior: _, ...withoutPrior } = model;
    saveModel(withoutPrior, join(dir, 'no-prior'));
    expect(() => loadModel(join(dir, 'no-prior'))).toThrow(ModelError);
    saveModel({ ...base, speakerPrior: model.speakerPrior }, join(dir, 'no-channels'));
    expect(() => loadModel(join(dir, 'no-channels'))).toThrow(/speaker prior/);
  });

  it('scores a recording causally: audio after a window never changes it, audio before does', async () => {
    const runner = await openRunner(model, { runtime: 'onnx' });
    try {
      const speech = speechLike(6);
      const short = await runner.scoreRecording(speech.subarray(0, 8000 * 4));
      const long = await runner.scoreRecording(speech);
      // Windows [0, 2) s and [1, 3) s end before 4 s in both recordings.
      for (const i of [0, 1]) expect(long[i]!.probs).toEqual(short[i]!.probs);
      // The same audio later in a recording is measured against more of the speaker: it differs.
      const later = await runner.scoreRecording(speech.subarray(8000 * 2));
      expect(later[0]!.probs).not.toEqual(long[2]!.probs);
    } finally {
      await runner.release();
    }
  });

  it('scores a live stream as it scores the recording, counting each hop of audio once', async () => {
    const runner = await openRunner(model, { runtime: 'onnx' });
    try {
      const speech = speechLike(5);
      const recorded = await runner.scoreRecording(speech);
      const stream = new ModelStream();
      const live: Float32Array[] = [];
      for (let s = 0; s + 16000 <= speech.length; s += 8000)
        live.push(...(await runner.scoreWindows([{ stream, samples: speech.subarray(s, s + 16000) }])));
      expect(live).toHaveLength(4);
      let worst = 0;
      for (const [i, probs] of live.entries())
        for (const [k, e] of runner.model.labels.entries())
          worst = Math.max(worst, Math.abs(probs[k]! - recorded[i]!.probs[e]));
      expect(worst).toBeLessThan(0.02);
    } finally {
      await runner.release();
    }
  });

  describe('with a neutral gate', () => {
    const gated = (neutralGate: number): EmotionModel => ({
      ...model,
      speakerPrior: { ...model.speakerPrior!, neutralGate },
    });
    const hops = (speech: Float32Array) => {
      const out: Float32Array[] = [];
      for (let s = 0; s + 16000 <= speech.length; s += 8000) out.push(speech.subarray(s, s + 16000));
      return out;
    };

    it('round-trips the gate, and refuses one in a model without a neutral class', () => {
      saveModel(gated(0.5), join(dir, 'gated'));
      expect(loadModel(join(dir, 'gated')).speakerPrior?.neutralGate).toBe(0.5);
      const five = { ...network, classes: 5 };
      saveModel(
        {
          ...gated(0.5),
          labels: model.labels.filter((l) => l !== 'neutral'),
          network: five,
          members: [randomWeights(five, 'five')],
        },
        join(dir, 'no-neutral'),
      );
      expect(() => loadModel(join(dir, 'no-neutral'))).toThrow(/neutral gate needs a neutral class/);
    });

    it("measures a window before its own frames join, and lets them join only at the gate's neutral probability", async () => {
      const open = (m: EmotionModel) => openRunner(m, { runtime: 'onnx' });
      const [always, never, ungated] = await Promise.all([open(gated(0)), open(gated(1)), open(model)]);
      try {
        const windows = hops(speechLike(5));
        const live = async (runner: typeof always) => {
          const stream = new ModelStream();
          const out: Float32Array[] = [];
          for (const samples of windows) out.push(...(await runner.scoreWindows([{ stream, samples }])));
          return out;
        };
        const [a, n, u] = await Promise.all([live(always), live(never), live(ungated)]);
        // The first window is measured against the prior alone either way; ungated, its own frames count.
        expect(a[0]).toEqual(n[0]);
        expect(u[0]).not.toEqual(a[0]);
        // After it, what was admitted differs: every window (gate 0) or none (gate 1, below any score).
        expect(a[2]).not.toEqual(n[2]);
        // A stream that admits nothing measures each window against the prior: as the recording path does.
        const recorded = await never.scoreRecording(speechLike(5));
        const worst = Math.max(
          ...n.map((p, i) =>
            Math.max(...p.map((v, k) => Math.abs(v - recorded[i]!.probs[never.model.labels[k]!]))),
          ),
        );
        expect(worst).toBeLessThan(0.02);
      } finally {
        await Promise.all([always.release(), never.release(), ungated.release()]);
      }
    });

    it("scores a speaker's windows given in one batch as it scores them one by one", async () => {
      const runner = await openRunner(gated(0), { runtime: 'onnx' });
      try {
        const windows = hops(speechLike(6));
        const other = hops(speechLike(4).map((x) => 0.5 * x));
        const one = new ModelStream();
        const separately: Float32Array[] = [];
        for (const samples of windows)
          separately.push(...(await runner.scoreWindows([{ stream: one, samples }])));
        // Two speakers interleaved in one call, the first with every window at once.
        const [a, b] = [new ModelStream(), new ModelStream()];
        const batch = await runner.scoreWindows([
          ...windows.map((samples) => ({ stream: a, samples })),
          ...other.map((samples) => ({ stream: b, samples })),
        ]);
        // Equal up to float rounding of the batch's products (one window admitted out of turn moves them by far more).
        const worst = Math.max(
          ...separately.map((p, i) => Math.max(...p.map((v, k) => Math.abs(v - batch[i]![k]!)))),
        );
        expect(worst).toBeLessThan(1e-5);
      } finally {
        await runner.release();
      }
    });
  });
});
