import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
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

  it('rms equals the per-frame definition bit for bit, edge and inner frames alike', () => {
    const random = seededRandom('rms');
    const y = Float32Array.from({ length: 2345 }, () => random() - 0.5);
    for (const [frameLength, hopLength, center] of [
      [256, 80, true],
      [256, 80, false],
      [100, 37, true],
      [64, 64, false],
    ] as const) {
      const pad = center ? frameLength >> 1 : 0;
      const expected = Array.from(rms(y, { frameLength, hopLength, center }).data, (_, t) => {
        let acc = 0;
        for (let i = t * hopLength - pad; i < t * hopLength - pad + frameLength; i++)
          if (i >= 0 && i < y.length) acc += y[i]! * y[i]!;
        return Math.fround(Math.sqrt(acc / frameLength));
      });
      expect(Array.from(rms(y, { frameLength, hopLength, center }).data)).toEqual(expected);
    }
  });

  it('rejects empty input for zcr and bad framing', () => {
    expect(() => zeroCrossingRate(new Float32Array(0))).toThrow(FeatureError);
    expect(() => rms(new Float32Array(10), { frameLength: 0 })).toThrow(FeatureError);
    expect(() => rms(new Float32Array(10), { frameLength: 20, center: false })).toThrow(FeatureError);
  });
});
