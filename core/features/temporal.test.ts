import { describe, expect, it } from 'vitest';
import { FeatureError } from './errors.ts';
import { rms, zeroCrossingRate } from './temporal.ts';

describe('zero crossing rate and rms', () => {
  it('counts sign changes per frame; tiny values count as zero (positive)', () => {
    const alternating = Float32Array.from({ length: 64 }, (_, i) => (i % 2 ? -1 : 1));
    const z = zeroCrossingRate(alternating, { frameLength: 16, hopLength: 16, center: false });
    expect(Array.from(z.data)).toEqual([15 / 16, 15 / 16, 15 / 16, 15 / 16]);
    const tiny = Float32Array.from({ length: 16 }, (_, i) => (i % 2 ? -1e-12 : 1e-12));
    expect(zeroCrossingRate(tiny, { frameLength: 16, center: false }).data[0]).toBe(0);
  });

  it('pads zcr frames with the edge samples, not zeros', () => {
    // A constant negative signal: zero padding would create crossings at both ends, edge padding none.
    const z = zeroCrossingRate(new Float32Array(100).fill(-0.5), { frameLength: 64, hopLength: 16 });
    for (const v of z.data) expect(v).toBe(0);
  });

  it('rms of a constant, with centred zero padding halving the energy of the first frame', () => {
    const r = rms(new Float32Array(1000).fill(0.5), { frameLength: 100, hopLength: 50 });
    expect(r.cols).toBe(21);
    expect(r.data[0]).toBeCloseTo(0.5 * Math.sqrt(0.5), 6);
    expect(r.data[10]).toBeCloseTo(0.5, 6);
  });

  it('rejects empty input for zcr and bad framing', () => {
    expect(() => zeroCrossingRate(new Float32Array(0))).toThrow(FeatureError);
    expect(() => rms(new Float32Array(10), { frameLength: 0 })).toThrow(FeatureError);
    expect(() => rms(new Float32Array(10), { frameLength: 20, center: false })).toThrow(FeatureError);
  });
});
