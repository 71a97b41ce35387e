import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../features/matrix.ts';
import { speechLike } from '../streaming/testing/synthetic.ts';
import { loadModel, ModelError, saveModel } from './format.ts';
import { ModelStream, openRunner } from './runner.ts';
import { normalisedChannels, type SpeakerPrior, SpeakerStats, voicedSums } from './speaker-norm.ts';
import { TdnnError } from './tdnn.ts';
import { seededModel, smallNetwork } from './testing/tdnn.ts';
import { modelFeatures, windowInput } from './windows.ts';

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
const prior = (frames: number): SpeakerPrior => ({ mean: Float32Array.from([100, 200, -50, 50]), frames });

describe('SpeakerStats', () => {
  it('counts only voiced frames, and weighs the prior as its frames', () => {
    const stats = new SpeakerStats(CFG, prior(2));
    stats.add(descriptors(8), 0, 4); // voiced frames 0 and 2
    expect(stats.voiced).toBe(2);
    // (2·prior + frames 0 and 2) / 4
    expect(Array.from(stats.centre())).toEqual([
      (200 + 0 + 2) / 4,
      (400 + 10 + 12) / 4,
      (-100 + 0 - 2) / 4,
      (100 + 40 + 42) / 4,
    ]);
    stats.add(descriptors(8), 4, 100); // frames 4 and 6; the range is clipped to the matrix
    expect(stats.voiced).toBe(4);
  });

  it('is the prior before any voiced frame, and the frames alone with a prior of weight 0', () => {
    const stats = new SpeakerStats(CFG, prior(5));
    stats.add(descriptors(2), 1, 2); // frame 1 is unvoiced
    expect(Array.from(stats.centre())).toEqual([100, 200, -50, 50]);
    const { sums, voiced } = voicedSums(CFG, descriptors(8));
    expect(voiced).toBe(4);
    const alone = new SpeakerStats(CFG, prior(0));
    alone.addSums(sums, voiced);
    expect(Array.from(alone.centre())).toEqual([3, 13, -3, 43]);
  });

  it('refuses a network without prosody or a prior of the wrong width', () => {
    expect(() => new SpeakerStats({ ...CFG, prosody: false }, prior(1))).toThrow(TdnnError);
    expect(() => new SpeakerStats(CFG, { mean: new Float32Array(3), frames: 1 })).toThrow(/channels/);
    expect(normalisedChannels(CFG)).toBe(4);
  });
});

describe('windowInput centred on a speaker', () => {
  const ones = new Float32Array(5).fill(1);
  it('removes the centre instead of the window means, F0 on voiced frames only', () => {
    const mel = descriptors(8);
    const centre = Float32Array.from([1, 2, 3, 4]);
    const x = windowInput(mel, 0, 8, CFG, ones, centre);
    for (let t = 0; t < 8; t++) {
      const row = Array.from(x.subarray(t * 5, t * 5 + 5));
      expect(row).toEqual([t - 1, 10 + t - 2, -t - 3, t % 2 === 0 ? 40 + t - 4 : 0, t % 2 === 0 ? 1 : 0]);
    }
  });

  it('equals the window-normalised input when the centre is the window own means', () => {
    const mel = descriptors(8);
    const own = windowInput(mel, 0, 8, CFG, ones);
    // Window means: bands 3.5 and 13.5, energy −3.5, voiced F0 43.
    const centred = windowInput(mel, 0, 8, CFG, ones, Float32Array.from([3.5, 13.5, -3.5, 43]));
    expect(Array.from(centred)).toEqual(Array.from(own));
  });
});

describe('a model with a speaker prior', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vp-speaker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = seededModel('speaker-norm');
  const model = {
    ...base,
    speakerPrior: { mean: new Float32Array(normalisedChannels(base.network)).fill(-20), frames: 100 },
  };

  it('round-trips through model.json, and a prior of the wrong width is refused', () => {
    saveModel(model, join(dir, 'ok'));
    const loaded = loadModel(join(dir, 'ok'));
    expect(loaded.speakerPrior?.frames).toBe(100);
    expect(Array.from(loaded.speakerPrior!.mean)).toEqual(Array.from(model.speakerPrior.mean));
    saveModel({ ...model, speakerPrior: { mean: new Float32Array(3), frames: 1 } }, join(dir, 'bad'));
    expect(() => loadModel(join(dir, 'bad'))).toThrow(ModelError);
    expect(() => loadModel(join(dir, 'bad'))).toThrow(/speaker prior/);
  });

  it('scores a recording causally: audio after a window never changes it, audio before does', async () => {
    const runner = await openRunner(model, { runtime: 'onnx' });
    try {
      const speech = speechLike(6);
      const short = await runner.scoreRecording(speech.subarray(0, 8000 * 4));
      const long = await runner.scoreRecording(speech);
      // Windows [0, 2) s and [1, 3) s end before 4 s in both recordings (the 4 s one's last window
      // [2, 4) s ends at its end, where the longer recording's frames see audio after it).
      for (const i of [0, 1]) expect(long[i]!.probs).toEqual(short[i]!.probs);
      // The same window later in a longer stream is centred on more of the speaker: it differs.
      const later = await runner.scoreRecording(speech.subarray(8000 * 2));
      expect(later[0]!.probs).not.toEqual(long[2]!.probs);
      // And the centre is the speaker's, not the window's.
      const own = await openRunner(base, { runtime: 'onnx' });
      expect((await own.scoreRecording(speech))[0]!.probs).not.toEqual(long[0]!.probs);
      await own.release();
    } finally {
      await runner.release();
    }
  });

  it('scores a live stream as it scores the recording, window by window', async () => {
    const runner = await openRunner(model, { runtime: 'onnx' });
    try {
      const speech = speechLike(5);
      const recorded = await runner.scoreRecording(speech);
      const stream = new ModelStream();
      const live: Float32Array[] = [];
      for (let s = 0; s + 16000 <= speech.length; s += 8000)
        live.push(...(await runner.scoreWindows([{ stream, samples: speech.subarray(s, s + 16000) }])));
      expect(live).toHaveLength(4);
      // Live windows see the audio before them (recordings: the same frames) and count each hop once;
      // their features differ from the recording's near each window's edges only.
      let worst = 0;
      for (const [i, probs] of live.entries())
        for (const [k, e] of runner.model.labels.entries())
          worst = Math.max(worst, Math.abs(probs[k]! - recorded[i]!.probs[e]));
      // Counting the overlap of consecutive windows twice gave 0.098 here; counting each hop once, 0.005.
      expect(worst).toBeLessThan(0.02);
      const features = modelFeatures(model, speech);
      const stats = new SpeakerStats(model.network, model.speakerPrior);
      stats.add(features, 0, features.cols);
      expect(stats.voiced).toBeGreaterThan(0);
    } finally {
      await runner.release();
    }
  });
});
