import FFT from 'fft.js';
import { ConfigCache } from './cache.ts';

const ffts = new ConfigCache<FFT>();

/**
 * The fft.js transform of `size` points (a power of two ≥ 2), its twiddle and bit-reversal tables
 * built once per size. Shared: an FFT keeps no state between calls.
 */
export function fftOf(size: number): FFT {
  return ffts.get(String(size), () => new FFT(size));
}
