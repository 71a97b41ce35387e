import { beforeAll, describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../features/matrix.ts';
import { seededRandom } from '../random.ts';
import {
  checkWeights,
  initTfjs,
  inputWidth,
  matMul,
  readWeights,
  receptiveField,
  type TdnnConfig,
  TdnnError,
  tdnnLogits,
  tf,
  weightTensors,
  windowInput,
} from './tdnn.ts';
import { randomWeights } from './testing/tdnn.ts';

const CFG: TdnnConfig = {
  nMels: 4,
  pool: 2,
  frames: 12,
  layers: [
    { context: 3, dilation: 1, channels: 5 },
    { context: 2, dilation: 2, channels: 3 },
  ],
  dense: [4],
  classes: 6,
};

function ramp(rows: number, cols: number): FeatureMatrix {
  return {
    rows,
    cols,
    data: Float32Array.from({ length: rows * cols }, (_, i) => (i % cols) * (1 + Math.floor(i / cols))),
  };
}

beforeAll(() => initTfjs());

describe('windowInput', () => {
  const ones = new Float32Array(CFG.nMels).fill(1);

  it('pools frame pairs, removes each band mean and divides by the band scale', () => {
    const mel = ramp(6, 40); // band m, frame t holds t·(m+1)
    const x = windowInput(mel, 10, 34, CFG, Float32Array.from([1, 2, 1, 1]));
    for (let m = 0; m < CFG.nMels; m++) {
      const band = Array.from({ length: CFG.frames }, (_, t) => x[t * CFG.nMels + m]!);
      expect(band.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 4);
      // Pooled frames are 2 apart, so consecutive values step by 2·(m+1)/scale.
      expect(band[1]! - band[0]!).toBeCloseTo((2 * (m + 1)) / (m === 1 ? 2 : 1), 5);
    }
  });

  it('tiles a window shorter than cfg.frames', () => {
    const x = windowInput(ramp(4, 10), 0, 10, CFG, ones); // 5 pooled frames
    for (let t = 5; t < CFG.frames; t++)
      expect(Array.from(x.subarray(t * 4, t * 4 + 4))).toEqual(
        Array.from(x.subarray((t % 5) * 4, (t % 5) * 4 + 4)),
      );
  });

  it('appends energy and F0 relative to the window and voicing as is, when prosody is on', () => {
    const cfg: TdnnConfig = { ...CFG, prosody: true };
    expect(inputWidth(cfg)).toBe(CFG.nMels + 3);
    // Rows: 4 mel bands, one unused (an MFCC), then energy, F0, voicing (frontend.ts layout).
    const cols = 24;
    const data = new Float32Array(8 * cols);
    for (let t = 0; t < cols; t++) {
      data[5 * cols + t] = -30 + t; // energy, dB
      data[6 * cols + t] = t < 8 ? 0 : t < 16 ? 20 : 26; // F0 semitones; unvoiced first 8 frames
      data[7 * cols + t] = t < 8 ? 0.1 : 0.9;
    }
    const x = windowInput({ rows: 8, cols, data }, 0, cols, cfg, Float32Array.from([1, 1, 1, 1, 2, 3, 1]));
    const channel = (c: number) => Array.from({ length: 12 }, (_, t) => x[t * 7 + c]!);
    const energy = channel(4);
    expect(energy.reduce((a, b) => a + b)).toBeCloseTo(0, 4);
    expect(energy[1]! - energy[0]!).toBeCloseTo(2 / 2, 5); // pooled frames are 2 dB apart, scale 2
    // Voiced pooled frames 4..11 hold 20 (4×) and 26 (4×): mean 23, scale 3.
    expect(channel(5)).toEqual([0, 0, 0, 0, -1, -1, -1, -1, 1, 1, 1, 1]);
    expect(channel(6).map((v) => Number(v.toFixed(5)))).toEqual([
      ...Array(4).fill(0.1),
      ...Array(8).fill(0.9),
    ]);
    expect(() => windowInput(ramp(6, 40), 0, 24, cfg, new Float32Array(7).fill(1))).toThrow(TdnnError);
  });

  it('rejects too few mel rows and windows outside the matrix', () => {
    expect(() => windowInput(ramp(3, 40), 0, 24, CFG, ones)).toThrow(TdnnError);
    expect(() => windowInput(ramp(4, 40), 30, 50, CFG, ones)).toThrow(TdnnError);
    expect(() => windowInput(ramp(4, 40), 5, 6, CFG, ones)).toThrow(TdnnError);
  });
});

describe('TDNN network', () => {
  it('runs on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it("matMul's explicit-transpose gradient equals tf.matMul's", () => {
    const random = seededRandom('mm');
    const a = tf.tensor2d(Array.from({ length: 12 }, random), [3, 4]);
    const b = tf.tensor2d(Array.from({ length: 20 }, random), [4, 5]);
    const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.square(f(x, y)));
    const mine = tf.grads(loss(matMul))([a, b]);
    const ref = tf.grads(loss((x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)))([a, b]);
    for (let i = 0; i < 2; i++) {
      const d = Array.from(mine[i]!.dataSync(), (v, k) => v - ref[i]!.dataSync()[k]!);
      expect(Math.max(...d.map(Math.abs))).toBeLessThan(1e-4);
    }
  });

  it('gives one logit row per window, independent of the rest of the batch', () => {
    const params = weightTensors(CFG, randomWeights(CFG, 'w'));
    const random = seededRandom('x');
    const data = Float32Array.from({ length: 3 * CFG.frames * CFG.nMels }, () => random() - 0.5);
    const batch = tdnnLogits(CFG, params, tf.tensor3d(data, [3, CFG.frames, CFG.nMels]));
    expect(batch.shape).toEqual([3, 6]);
    const single = tdnnLogits(
      CFG,
      params,
      tf.tensor3d(data.subarray(CFG.frames * CFG.nMels * 2), [1, CFG.frames, CFG.nMels]),
    );
    const last = batch.dataSync().subarray(12);
    single.dataSync().forEach((v, i) => {
      expect(v).toBeCloseTo(last[i]!, 4);
    });
  });

  it('gives the same logits on the training path (no dropout) as on the fused inference path', () => {
    const params = weightTensors(CFG, randomWeights(CFG, 'w'));
    const random = seededRandom('y');
    const x = tf.tensor3d(
      Float32Array.from({ length: 2 * CFG.frames * CFG.nMels }, () => random() - 0.5),
      [2, CFG.frames, CFG.nMels],
    );
    const fused = tdnnLogits(CFG, params, x).dataSync();
    const train = tdnnLogits(CFG, params, x, { rate: 0, seed: 1 }).dataSync();
    train.forEach((v, i) => {
      expect(v).toBeCloseTo(fused[i]!, 4);
    });
  });

  it('stores weights in the layout they were given (readWeights inverts weightTensors)', () => {
    const w = randomWeights(CFG, 'w');
    const back = readWeights(CFG, weightTensors(CFG, w));
    expect(back).toEqual(w);
  });

  it('knows its receptive field and rejects weights of the wrong shape', () => {
    expect(receptiveField(CFG)).toBe(1 + 2 + 2);
    const w = randomWeights(CFG, 'w');
    expect(() => checkWeights(CFG, w)).not.toThrow();
    w.dense[0]!.b = new Float32Array(3);
    expect(() => checkWeights(CFG, w)).toThrow(TdnnError);
  });
});
