import { describe, expect, it } from 'vitest';
import type { EmotionModel } from '../core/model/format.ts';
import { openRunner } from '../core/model/runner.ts';
import { inputWidth } from '../core/model/tdnn.ts';
import { randomTdnn, smallNetwork } from '../core/model/testing/tdnn.ts';
import { seededRandom } from '../core/random.ts';
import { ensembleOf } from './ensemble.ts';

const network = smallNetwork({ prosody: true, dense: [7] });

/** Window inputs as the model reads them: raw values divided by the model's own scale. */
function inputsFor(model: EmotionModel, raw: Float32Array[]): Float32Array[] {
  const width = inputWidth(network);
  return raw.map((x) => x.map((v, i) => v / model.scale[i % width]!));
}

/** The network's probabilities of `raw` window inputs, on the product's runtime. */
async function probsOf(model: EmotionModel, raw: Float32Array[]): Promise<Float32Array[]> {
  const runner = await openRunner(model);
  const probs = await runner.networkProbs(inputsFor(model, raw));
  await runner.release();
  return probs;
}

describe('ensembleOf', () => {
  const random = seededRandom('raw');
  const raw = Array.from({ length: 4 }, () =>
    Float32Array.from({ length: network.frames * inputWidth(network) }, () => (random() - 0.5) * 6),
  );
  const a = randomTdnn(network, 'a', { scale: 2, temperature: 0.7 });
  const b = randomTdnn(network, 'b', { scale: 1, temperature: 1.6 });
  b.scale = b.scale.map((_, i) => 0.5 + i / 10);

  it('folds each member’s scale and temperature into its weights: probabilities unchanged', async () => {
    const ensemble = ensembleOf('e', [b, a]);
    expect(ensemble.temperature).toBe(1);
    expect(ensemble.scale).toEqual(b.scale);
    const got = await probsOf(ensemble, raw);
    const pa = await probsOf(a, raw);
    const pb = await probsOf(b, raw);
    got.forEach((p, i) => {
      p.forEach((v, c) => {
        expect(v).toBeCloseTo((pa[i]![c]! + pb[i]![c]!) / 2, 5);
      });
    });
    // One member alone scores exactly as the model it came from.
    const alone = await probsOf(ensembleOf('a', [a]), raw);
    alone.forEach((p, i) => {
      p.forEach((v, c) => {
        expect(v).toBeCloseTo(pa[i]![c]!, 5);
      });
    });
  });

  it('refuses members of different shapes', () => {
    const other = randomTdnn({ ...network, dense: [4] }, 'c');
    expect(() => ensembleOf('e', [a, other])).toThrow(/^ENSEMBLE_MISMATCH: .*shape/);
    expect(() => ensembleOf('e', [])).toThrow(/^ENSEMBLE_MISMATCH: .*at least one/);
  });

  it('keeps a speaker prior the members share, and refuses members measured against different ones', () => {
    const speaker = { ...network, speakerOffsets: true };
    const prior = (energy: number) => ({ mean: Float32Array.from([energy, 45]), frames: 100 });
    const [x, y] = ['x', 'y'].map((seed) => ({ ...randomTdnn(speaker, seed), speakerPrior: prior(-30) }));
    expect(ensembleOf('e', [x!, y!]).speakerPrior).toEqual(prior(-30));
    expect(() => ensembleOf('e', [x!, { ...y!, speakerPrior: prior(-31) }])).toThrow(/speaker prior/);
  });
});
