import { describe, expect, it } from 'vitest';
import { FeatureError } from './errors.ts';
import { frameCount, resolveStft, stftPower } from './stft.ts';

function sine(n: number, freq: number, sr: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * freq * i) / sr));
}

describe('stft', () => {
  it('counts frames like librosa (centred: 1 + n // hop for even nFft)', () => {
    expect(frameCount(8000, 256, 80, true)).toBe(101);
    expect(frameCount(0, 256, 80, true)).toBe(1);
    expect(frameCount(8000, 255, 80, true)).toBe(100); // odd nFft pads 127 each side
    expect(frameCount(256, 256, 80, false)).toBe(1);
    expect(frameCount(8000, 256, 80, false)).toBe(97);
    expect(() => frameCount(255, 256, 80, false)).toThrow(
      expect.objectContaining({ code: 'SIGNAL_TOO_SHORT' }),
    );
  });

  it('defaults hop to winLength / 4 for stft, 512 for feature functions', () => {
    expect(resolveStft({ nFft: 256 }).hopLength).toBe(64);
    expect(resolveStft({ nFft: 256, winLength: 200 }).hopLength).toBe(50);
    expect(resolveStft({ nFft: 256 }, 512).hopLength).toBe(512);
    expect(resolveStft().nFft).toBe(2048);
  });

  it('rejects sizes fft.js cannot do and other bad options with a typed error', () => {
    expect(() => resolveStft({ nFft: 200 })).toThrow(/power of two/);
    expect(() => resolveStft({ nFft: 256, winLength: 300 })).toThrow(FeatureError);
    expect(() => resolveStft({ nFft: 256, hopLength: 0 })).toThrow(FeatureError);
    expect(() => resolveStft({ nFft: 1 })).toThrow(FeatureError);
    expect(() => stftPower(Float32Array.of(0, Number.POSITIVE_INFINITY))).toThrow(/not finite/);
  });

  it('puts a bin-centred sine in its bin, with the Hann-windowed power', () => {
    const nFft = 256;
    const y = sine(4000, 1000, 8000); // bin 32
    const S = stftPower(y, { nFft, hopLength: 80, center: false });
    const t = 10;
    let best = 0;
    for (let k = 0; k < S.rows; k++) if (S.data[k * S.cols + t]! > S.data[best * S.cols + t]!) best = k;
    expect(best).toBe(32);
    // Periodic Hann sums to nFft / 2, so the peak magnitude is (nFft / 2) / 2.
    expect(Math.sqrt(S.data[32 * S.cols + t]!)).toBeCloseTo(nFft / 4, 6);
    const mag = stftPower(y, { nFft, hopLength: 80, center: false, power: 1 });
    expect(mag.data[32 * mag.cols + t]).toBeCloseTo(nFft / 4, 4);
  });
});
