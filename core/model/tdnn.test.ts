import { describe, expect, it } from 'vitest';
import { checkWeights, receptiveField, TdnnError } from './tdnn.ts';
import { randomWeights, tinyNetwork } from './testing/tdnn.ts';

const CFG = tinyNetwork();

describe('TDNN shape', () => {
  it('knows its receptive field and rejects weights of the wrong shape', () => {
    expect(receptiveField(CFG)).toBe(1 + 2 + 2);
    const w = randomWeights(CFG, 'w');
    expect(() => checkWeights(CFG, w)).not.toThrow();
    w.dense[0]!.b = new Float32Array(3);
    expect(() => checkWeights(CFG, w)).toThrow(TdnnError);
  });
});
