import { describe, expect, it } from 'vitest';
import { TELEPHONY_FEATURES } from './config.ts';
import { FeatureError } from './errors.ts';
import { logMelSpectrogram } from './logmel.ts';
import { Dct, mfcc } from './mfcc.ts';

describe('mfcc', () => {
  for (const n of [16, 15]) {
    it(`the DCT is orthonormal (type II, norm ortho), ${n} bands`, () => {
      const dct = new Dct(n, n);
      const rows: Float64Array[] = [];
      for (let j = 0; j < n; j++) {
        const e = new Float64Array(n);
        e[j] = 1;
        const out = new Float64Array(n);
        dct.apply(e, 0, out, 0);
        rows.push(out);
        // Direct definition of scipy's orthonormal DCT-II for this basis vector.
        for (let k = 0; k < n; k++) {
          const scale = Math.sqrt((k === 0 ? 1 : 2) / n);
          expect(out[k]).toBeCloseTo(scale * Math.cos((Math.PI * k * (2 * j + 1)) / (2 * n)), 14);
        }
      }
      for (let a = 0; a < n; a++) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += rows[a]![k]! * rows[(a + 3) % n]![k]!;
        expect(dot).toBeCloseTo(a === (a + 3) % n ? 1 : 0, 12);
      }
    });
  }

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
