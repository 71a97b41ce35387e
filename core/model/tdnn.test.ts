import { describe, expect, it } from 'vitest';
import { checkWeights, receptiveField, type TdnnConfig, TdnnError } from './tdnn.ts';
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

describe('TDNN shape', () => {
  it('knows its receptive field and rejects weights of the wrong shape', () => {
    expect(receptiveField(CFG)).toBe(1 + 2 + 2);
    const w = randomWeights(CFG, 'w');
    expect(() => checkWeights(CFG, w)).not.toThrow();
    w.dense[0]!.b = new Float32Array(3);
    expect(() => checkWeights(CFG, w)).toThrow(TdnnError);
  });
});
