import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { randomWeights, tinyNetwork } from './testing/tdnn.ts';
import { initTfjs, matMul, readWeights, tdnnLogits, tf, weightTensors } from './tfjs.ts';

const CFG = tinyNetwork();

beforeAll(() => initTfjs());

describe('TDNN network on tfjs', () => {
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
});
