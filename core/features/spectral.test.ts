import { describe, expect, it } from 'vitest';
import { FeatureError } from './errors.ts';
import { spectralBandwidth, spectralCentroid, spectralRolloff } from './spectral.ts';

const tone = Float32Array.from({ length: 4000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 8000));
const opts = { sr: 8000, nFft: 256, hopLength: 80, center: false };

describe('spectral shape', () => {
  it('a pure tone has its centroid and rolloff at the tone, with a narrow bandwidth', () => {
    const c = spectralCentroid(tone, opts);
    const b = spectralBandwidth(tone, opts);
    const r = spectralRolloff(tone, opts);
    expect(c.data[3]).toBeCloseTo(1000, 0);
    expect(b.data[3]).toBeLessThan(50);
    expect(r.data[3]).toBeGreaterThanOrEqual(1000);
    expect(r.data[3]).toBeLessThanOrEqual(1000 + 31.25);
  });

  it('rejects a rolloff fraction outside (0, 1) and a non-positive p', () => {
    expect(() => spectralRolloff(tone, { ...opts, rollPercent: 1 })).toThrow(FeatureError);
    expect(() => spectralBandwidth(tone, { ...opts, p: 0 })).toThrow(FeatureError);
  });
});
