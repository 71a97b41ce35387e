import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/corpora/seeded.ts';
import { mlpLogits } from '../core/model/mlp.ts';
import { gaussian, initMlp, MlpTrainer } from './train-mlp.ts';

const OPTS = {
  hidden: [16],
  lr: 0.01,
  weightDecay: 1e-4,
  dropout: 0.1,
  inputDropout: 0,
  labelSmoothing: 0,
  batchSize: 16,
};

/** Three Gaussian blobs in 4-D: separable, so a trained MLP must fit them. */
function blobs(n: number, random: () => number) {
  const xs: Float32Array[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    xs.push(Float32Array.from({ length: 4 }, (_, d) => (d === y ? 2 : 0) + 0.5 * gaussian(random)));
    ys.push(y);
  }
  return { xs, ys };
}

describe('MlpTrainer', () => {
  it('lowers the loss and fits separable classes', () => {
    const random = seededRandom('t');
    const { xs, ys } = blobs(300, random);
    const trainer = new MlpTrainer(initMlp(4, OPTS.hidden, 3, random), OPTS, random);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 20; epoch++)
      for (let b = 0; b < xs.length; b += 16)
        losses.push(trainer.step(xs.slice(b, b + 16), ys.slice(b, b + 16), new Array(16).fill(1)));
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
    const acc = xs.filter((x, i) => argmax(mlpLogits(trainer.mlp, x)) === ys[i]).length / xs.length;
    expect(acc).toBeGreaterThan(0.9);
  });

  it('moves every weight against its numerical gradient on the first step', () => {
    const random = seededRandom('g');
    const mlp = initMlp(4, [5], 3, random);
    for (const l of mlp.layers) l.bias.fill(0.1); // keep every hidden unit active
    const x = Float32Array.from([0.3, 0.2, 0.8, 0.1]);
    const lossAt = () => {
      const l = mlpLogits(mlp, x);
      const m = Math.max(...l);
      const z = l.reduce((a, v) => a + Math.exp(v - m), 0);
      return -(l[1]! - m - Math.log(z));
    };
    const numeric = mlp.layers.map((layer) =>
      Array.from(layer.weights, (_, i) => {
        const w = layer.weights;
        const keep = w[i]!;
        w[i] = keep + 1e-3;
        const up = lossAt();
        w[i] = keep - 1e-3;
        const down = lossAt();
        w[i] = keep;
        return (up - down) / 2e-3;
      }),
    );
    const before = mlp.layers.map((l) => Float32Array.from(l.weights));
    new MlpTrainer(mlp, { ...OPTS, dropout: 0, weightDecay: 0, lr: 1e-4 }, random).step([x], [1], [1]);
    let checked = 0;
    mlp.layers.forEach((layer, l) => {
      layer.weights.forEach((w, i) => {
        const g = numeric[l]![i]!;
        if (Math.abs(g) < 1e-3) return;
        expect(Math.sign(before[l]![i]! - w)).toBe(Math.sign(g));
        checked++;
      });
    });
    expect(checked).toBeGreaterThan(20);
  });
});

function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[b]!) b = i;
  return b;
}
