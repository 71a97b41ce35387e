import { describe, expect, it } from 'vitest';
import { chromaFilterbank, chromaStft, pitchTuning } from './chroma.ts';

const tone = (freq: number, sr: number, n: number) =>
  Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * freq * i) / sr));

describe('chroma', () => {
  it('pitchTuning finds the deviation from equal temperament', () => {
    expect(pitchTuning([440, 880, 261.6255653005986])).toBeCloseTo(0, 9);
    const sharp = 440 * 2 ** (25 / 1200); // a quarter semitone sharp
    expect(pitchTuning([sharp, 2 * sharp, 3 * sharp * 2 ** (-7 / 12) * 2 ** (0 / 12)])).toBeCloseTo(0.25, 9);
    expect(pitchTuning([])).toBe(0);
  });

  it('an A4 tone lights up pitch class A (index 9 from C)', () => {
    const c = chromaStft(tone(440, 22050, 8192), { sr: 22050 });
    const t = 5;
    let best = 0;
    for (let k = 0; k < 12; k++) if (c.data[k * c.cols + t]! > c.data[best * c.cols + t]!) best = k;
    expect(best).toBe(9);
    expect(c.data[9 * c.cols + t]).toBeCloseTo(1, 9); // norm=inf: the max is 1
  });

  it('the filter bank has nChroma rows over the rFFT bins', () => {
    const fb = chromaFilterbank({ sr: 8000, nFft: 256, nChroma: 24 });
    expect([fb.rows, fb.cols]).toEqual([24, 129]);
    expect(() => chromaFilterbank({ sr: 8000, norm: 0 })).toThrow(/norm/);
  });
});
