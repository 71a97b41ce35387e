import { describe, expect, it } from 'vitest';
import { seededRandom } from '../corpora/seeded.ts';
import { DEFAULT_FRONTEND, descriptorRows, FrontendError, frameDescriptors } from './frontend.ts';
import { functionalsSize, windowFunctionals } from './functionals.ts';

const SR = 8000;
/** A voiced-speech-like signal over a faint noise floor (so no mel band sits at the log floor). */
const voiceLike = (n: number, gain = 1) => {
  const random = seededRandom('floor');
  let phase = 0;
  return Float32Array.from({ length: n }, (_, i) => {
    phase += (2 * Math.PI * (140 + 30 * Math.sin(i / 2000))) / SR;
    let v = 0;
    for (let h = 1; h <= 10; h++) v += Math.sin(h * phase) / h;
    return gain * (0.1 * v * (0.6 + 0.4 * Math.sin(i / 700)) + 1e-3 * (random() - 0.5));
  });
};

describe('frameDescriptors', () => {
  it('lays out mel, MFCC 1.., energy, F0 and voicing rows, one column per 10 ms', () => {
    const lld = frameDescriptors(voiceLike(SR));
    const rows = descriptorRows(DEFAULT_FRONTEND);
    expect(lld.rows).toBe(rows.rows);
    expect(lld.cols).toBe(1 + SR / DEFAULT_FRONTEND.hopLength);
    const f0 = lld.data.subarray(rows.f0 * lld.cols, (rows.f0 + 1) * lld.cols);
    const voiced = Array.from(f0).filter((v) => v > 0);
    expect(voiced.length).toBeGreaterThan(0.6 * lld.cols);
    // 140 ± 30 Hz is 12.6–19.6 semitones above 55 Hz.
    for (const v of voiced) {
      expect(v).toBeGreaterThan(12);
      expect(v).toBeLessThan(20.5);
    }
  });
  it('rejects audio shorter than one FFT frame', () => {
    expect(() => frameDescriptors(new Float32Array(10))).toThrow(FrontendError);
  });
});

describe('windowFunctionals', () => {
  it('returns a finite vector of functionalsSize', () => {
    const lld = frameDescriptors(voiceLike(2 * SR));
    const v = windowFunctionals(lld, DEFAULT_FRONTEND, 0, 200);
    expect(v.length).toBe(functionalsSize(DEFAULT_FRONTEND));
    expect(v.every(Number.isFinite)).toBe(true);
  });
  it('keeps the mel-shape statistics unchanged under a gain change', () => {
    const a = windowFunctionals(frameDescriptors(voiceLike(SR)), DEFAULT_FRONTEND, 0, 100);
    const b = windowFunctionals(frameDescriptors(voiceLike(SR, 0.25)), DEFAULT_FRONTEND, 0, 100);
    for (let m = 0; m < 2 * DEFAULT_FRONTEND.nMels; m++) expect(b[m]!).toBeCloseTo(a[m]!, 2);
  });
  it('leaves masked frames out of the statistics', () => {
    const lld = frameDescriptors(voiceLike(2 * SR));
    const keep = new Uint8Array(100).fill(1).fill(0, 50);
    expect(windowFunctionals(lld, DEFAULT_FRONTEND, 0, 100, keep)).toEqual(
      windowFunctionals(lld, DEFAULT_FRONTEND, 0, 50),
    );
    expect(() => windowFunctionals(lld, DEFAULT_FRONTEND, 0, 100, new Uint8Array(100))).toThrow(RangeError);
    expect(() => windowFunctionals(lld, DEFAULT_FRONTEND, 10, 5)).toThrow(RangeError);
  });
});
