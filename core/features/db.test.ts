import { describe, expect, it } from 'vitest';
import { powerToDb } from './db.ts';
import { FeatureError } from './errors.ts';

const S = { rows: 1, cols: 4, data: Float32Array.of(0, 1e-3, 1, 100) };

describe('powerToDb', () => {
  it('floors at amin, subtracts the reference and clamps at topDb below the max', () => {
    expect(Array.from(powerToDb(S, { topDb: null }).data)).toEqual([-100, -30, 0, 20]);
    expect(Array.from(powerToDb(S).data)).toEqual([-60, -30, 0, 20]);
    expect(Array.from(powerToDb(S, { ref: 'max', topDb: 40 }).data)).toEqual([-40, -40, -20, 0]);
    expect(Array.from(powerToDb(S, { ref: 10, amin: 1e-2, topDb: null }).data)).toEqual([-30, -30, -10, 10]);
  });

  it('rejects a non-positive amin and a negative topDb', () => {
    expect(() => powerToDb(S, { amin: 0 })).toThrow(FeatureError);
    expect(() => powerToDb(S, { topDb: -1 })).toThrow(FeatureError);
    expect(() => powerToDb(S, { ref: Number.NaN })).toThrow(FeatureError);
  });
});
