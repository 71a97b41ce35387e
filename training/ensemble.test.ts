import { describe, expect, it } from 'vitest';
import { inputProbs, type TdnnModel } from '../core/model/model.ts';
import { inputWidth } from '../core/model/tdnn.ts';
import { randomTdnn, smallNetwork } from '../core/model/testing/tdnn.ts';
import { seededRandom } from '../core/random.ts';
import { ensembleOf } from './ensemble.ts';

const network = smallNetwork({ prosody: true, dense: [7] });

/** Window inputs as the model reads them: raw values divided by the model's own scale. */
function inputsFor(model: TdnnModel, raw: Float32Array[]): Float32Array[] {
  const width = inputWidth(network);
  return raw.map((x) => x.map((v, i) => v / model.scale[i % width]!));
}

describe('ensembleOf', () => {
  const random = seededRandom('raw');
  const raw = Array.from({ length: 4 }, () =>
    Float32Array.from({ length: network.frames * inputWidth(network) }, () => (random() - 0.5) * 6),
  );
  const a = randomTdnn(network, 'a', { scale: 2, temperature: 0.7 });
  const b = randomTdnn(network, 'b', { scale: 1, temperature: 1.6 });
  b.scale = b.scale.map((_, i) => 0.5 + i / 10);

  it('folds each member’s scale and temperature into its weights: probabilities unchanged', () => {
    const ensemble = ensembleOf('e', [b, a]);
    expect(ensemble.temperature).toBe(1);
    expect(ensemble.scale).toEqual(b.scale);
    const got = inputProbs(ensemble, inputsFor(ensemble, raw));
    const pa = inputProbs(a, inputsFor(a, raw));
    const pb = inputProbs(b, inputsFor(b, raw));
    got.forEach((p, i) => {
      p.forEach((v, c) => {
        expect(v).toBeCloseTo((pa[i]![c]! + pb[i]![c]!) / 2, 5);
      });
    });
    // One member alone scores exactly as the model it came from.
    const alone = inputProbs(ensembleOf('a', [a]), inputsFor(a, raw));
    alone.forEach((p, i) => {
      p.forEach((v, c) => {
        expect(v).toBeCloseTo(pa[i]![c]!, 5);
      });
    });
  });

  it('refuses members of different shapes', () => {
    const other = randomTdnn({ ...network, dense: [4] }, 'c');
    expect(() => ensembleOf('e', [a, other])).toThrow(/shape/);
    expect(() => ensembleOf('e', [])).toThrow(/at least one/);
  });
});
