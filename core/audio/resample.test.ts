import FFT from 'fft.js';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { concat } from '../streaming/testing/synthetic.ts';
import { PASSBAND_EDGE, resample, STOPBAND_EDGE, StreamingResampler } from './resample.ts';

const RATES = [8000, 16000, 22050, 44100, 48000];
const PAIRS = RATES.flatMap((from) => RATES.filter((to) => to !== from).map((to) => [from, to] as const));

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function sine(freq: number, rate: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * freq * i) / rate));
}

const rng = (seed: number): (() => number) => seededRandom(String(seed));

function firstMismatch(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((v, i) => !Object.is(v, b[i]));
}

/**
 * The resampler is "insert up-1 zeros, filter with g, keep every down-th sample" (up/down = the
 * reduced ratio), so the response |G| of the filter on that fine grid fully describes passband
 * ripple and alias/image rejection. g is recovered through the public API: an impulse at input n0
 * gives y[k] = g[k·down − n0·up], and n0 over `down` consecutive values reaches every grid index.
 */
function measuredResponse(from: number, to: number): { rippleDb: number; stopbandDb: number } {
  const g0 = gcd(from, to);
  const up = to / g0;
  const down = from / g0;
  const reach = Math.ceil(120 * Math.max(1, from / to)); // beyond the filter's half-width (≈ 75 low-rate samples)
  const grid = new Float64Array(2 * reach * up);
  for (let r = 0; r < down; r++) {
    const n0 = reach + r;
    const x = new Float32Array(n0 + reach + 1);
    x[n0] = 1;
    resample(x, from, to).forEach((y, k) => {
      const j = k * down - n0 * up + reach * up;
      if (j >= 0 && j < grid.length) grid[j] = y;
    });
  }
  let size = 1 << 16;
  while (size < 8 * grid.length) size *= 2;
  const fft = new FFT(size);
  const padded = new Array<number>(size).fill(0);
  grid.forEach((v, i) => {
    padded[i] = v;
  });
  const spectrum = fft.createComplexArray() as number[];
  fft.realTransform(spectrum, padded);
  const fineRate = from * up;
  const nyquistLow = Math.min(from, to) / 2;
  let rippleDb = 0;
  let stopbandDb = Number.POSITIVE_INFINITY;
  for (let bin = 0; bin <= size / 2; bin++) {
    const f = (bin * fineRate) / size;
    const gainDb = 20 * Math.log10(Math.hypot(spectrum[2 * bin]!, spectrum[2 * bin + 1]!) / up);
    if (f <= PASSBAND_EDGE * nyquistLow) rippleDb = Math.max(rippleDb, Math.abs(gainDb));
    if (f >= STOPBAND_EDGE * nyquistLow) stopbandDb = Math.min(stopbandDb, -gainDb);
  }
  return { rippleDb, stopbandDb };
}

describe('resample', () => {
  it('has output length ceil(n·to/from) for any length', () => {
    for (const [from, to] of PAIRS) {
      for (const n of [0, 1, 2, 3, 100, 441, 4411]) {
        expect(resample(new Float32Array(n), from, to).length).toBe(Math.ceil((n * to) / from));
      }
    }
  });

  it('returns a copy for equal rates', () => {
    const x = sine(440, 8000, 100);
    const y = resample(x, 8000, 8000);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
  });

  it('rejects non-integer, zero and absurd rates with RangeError', () => {
    const x = new Float32Array(10);
    for (const [from, to] of [
      [0, 8000],
      [8000, -1],
      [8000.5, 16000],
      [8000, 10_000_000],
    ] as const) {
      expect(() => resample(x, from, to)).toThrow(RangeError);
      expect(() => new StreamingResampler(from, to)).toThrow(RangeError);
    }
    expect(() => resample(x, 48000, 47999)).toThrow(RangeError); // 47,999 polyphase branches
  });

  it('keeps a constant constant (unit DC gain on every phase) away from the edges', () => {
    for (const [from, to] of PAIRS) {
      const y = resample(new Float32Array(from / 10).fill(0.5), from, to);
      const edge = Math.ceil(to * 0.01);
      for (let k = edge; k < y.length - edge; k++) expect(Math.abs(y[k]! - 0.5)).toBeLessThan(1e-6);
    }
  });

  it('has zero delay: an impulse maps to a response symmetric about its exact output time', () => {
    for (const [from, to, n0, k0] of [
      [8000, 16000, 100, 200],
      [48000, 8000, 600, 100],
      [8000, 44100, 160, 882],
    ] as const) {
      const x = new Float32Array(2 * n0);
      x[n0] = 1;
      const y = resample(x, from, to);
      const peak = y.indexOf(Math.max(...y));
      expect(peak).toBe(k0);
      for (let d = 1; d < 50; d++) expect(y[k0 + d]).toBeCloseTo(y[k0 - d]!, 6);
    }
  });

  // Design targets: passband edge 0.913·Nl, stopband edge 1.0·Nl (as soxr HQ), Kaiser for 100 dB (see resample.ts).
  it.each(PAIRS)('%i → %i Hz: passband ripple ≤ 0.0002 dB, stopband ≥ 99 dB', (from, to) => {
    const { rippleDb, stopbandDb } = measuredResponse(from, to);
    expect(rippleDb).toBeLessThan(0.0002);
    expect(stopbandDb).toBeGreaterThan(99);
  });

  it('1 kHz sine at 44.1 kHz → 8 kHz matches the ideal 8 kHz sine with SNR ≥ 115 dB', () => {
    const y = resample(sine(1000, 44100, 44100), 44100, 8000);
    const ideal = sine(1000, 8000, y.length);
    let signal = 0;
    let noise = 0;
    for (let k = 160; k < y.length - 160; k++) {
      signal += ideal[k]! ** 2;
      noise += (y[k]! - ideal[k]!) ** 2;
    }
    expect(10 * Math.log10(signal / noise)).toBeGreaterThan(115);
  });

  it('removes content above the output Nyquist (5 kHz at 48 kHz → 8 kHz)', () => {
    const y = resample(sine(5000, 48000, 48000), 48000, 8000);
    const peak = Math.max(...y.subarray(160, y.length - 160).map(Math.abs));
    expect(20 * Math.log10(peak)).toBeLessThan(-105);
  });
});

describe('StreamingResampler', () => {
  const signal = Float32Array.from(
    { length: 12 * 48000 },
    (_, i) => Math.sin(i * 0.013) * 0.5 + Math.sin(i * 1.7) * 0.3,
  );

  function streamed(from: number, to: number, input: Float32Array, sizes: () => number): Float32Array {
    const resampler = new StreamingResampler(from, to);
    const parts: Float32Array[] = [];
    for (let at = 0; at < input.length; ) {
      const size = Math.min(sizes(), input.length - at);
      parts.push(resampler.push(input.subarray(at, at + size)));
      at += size;
    }
    parts.push(resampler.flush());
    return concat(...parts);
  }

  it.each([
    [48000, 8000],
    [8000, 16000],
    [44100, 8000],
    [8000, 44100],
    [22050, 16000],
    [16000, 16000],
  ])('%i → %i Hz: random chunks from 1 sample to 10 s equal resample() exactly', (from, to) => {
    const input = signal.subarray(0, 12 * from);
    const whole = resample(input, from, to);
    const random = rng(from + to);
    // Log-uniform chunk sizes so both single samples and 10 s chunks occur.
    const sizes = () => Math.max(1, Math.floor(Math.exp(random() * Math.log(10 * from))));
    expect(firstMismatch(streamed(from, to, input, sizes), whole)).toBe(-1);
  });

  it('tiny chunks (1-3 samples) equal resample() exactly', () => {
    const random = rng(7);
    const input = signal.subarray(0, 4410);
    const sizes = () => 1 + Math.floor(random() * 3);
    for (const [from, to] of [
      [44100, 8000],
      [8000, 48000],
    ] as const) {
      expect(firstMismatch(streamed(from, to, input, sizes), resample(input, from, to))).toBe(-1);
    }
  });

  it('is reusable after flush (flush resets the stream)', () => {
    const resampler = new StreamingResampler(16000, 8000);
    const x = signal.subarray(0, 1600);
    const first = [resampler.push(x), resampler.flush()];
    const second = [resampler.push(x), resampler.flush()];
    expect(second).toEqual(first);
  });
});
