import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { DEFAULT_FRONTEND, descriptorRows, FrontendError, frameDescriptors, melProsody } from './frontend.ts';

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
    expect(() => frameDescriptors(new Float32Array(10))).toThrow(/^AUDIO_TOO_SHORT: /);
  });
});

describe('melProsody', () => {
  it('holds the descriptors without the MFCCs: the mel rows, then energy, F0 and voicing', () => {
    const x = voiceLike(SR);
    const all = frameDescriptors(x);
    const lean = melProsody(x);
    const { nMels } = DEFAULT_FRONTEND;
    expect(lean.rows).toBe(nMels + 3);
    const rows = (m: { rows: number; cols: number; data: Float32Array }, from: number, to: number) =>
      Array.from(m.data.subarray(from * m.cols, to * m.cols));
    expect(rows(lean, 0, nMels)).toEqual(rows(all, 0, nMels));
    expect(rows(lean, nMels, nMels + 3)).toEqual(rows(all, all.rows - 3, all.rows));
  });
});
