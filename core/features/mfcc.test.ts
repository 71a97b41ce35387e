import { describe, expect, it } from 'vitest';
import { TELEPHONY_FEATURES } from './config.ts';
import { FeatureError } from './errors.ts';
import { logMelSpectrogram } from './logmel.ts';
import { Dct, mfcc } from './mfcc.ts';

describe('mfcc', () => {
  it('the DCT is orthonormal (type II, norm ortho)', () => {
    const n = 16;
    const dct = new Dct(n, n);
    const out = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      dct.apply(e, 0, out, 0);
      let norm = 0;
      for (const v of out) norm += v * v;
      expect(norm).toBeCloseTo(1, 12); // columns of an orthonormal matrix have unit length
    }
    // A constant input puts everything in c0 = sqrt(n) * value.
    dct.apply(new Float64Array(n).fill(2), 0, out, 0);
    expect(out[0]).toBeCloseTo(2 * Math.sqrt(n), 12);
    expect(Math.abs(out[5]!)).toBeLessThan(1e-12);
  });

  it('from audio equals from its log-mel spectrogram', () => {
    const y = Float32Array.from({ length: 2000 }, (_, i) => Math.sin(i / 7) * 0.2);
    const a = mfcc(y, TELEPHONY_FEATURES);
    const b = mfcc(logMelSpectrogram(y, TELEPHONY_FEATURES), { nMfcc: 20 });
    expect(a.rows).toBe(20);
    for (let i = 0; i < a.data.length; i++) expect(Math.abs(a.data[i]! - b.data[i]!)).toBeLessThan(1e-4);
  });

  it('rejects more coefficients than bands and a negative lifter', () => {
    expect(() => new Dct(30, 20)).toThrow(FeatureError);
    expect(() => new Dct(13, 20, -1)).toThrow(FeatureError);
  });
});
