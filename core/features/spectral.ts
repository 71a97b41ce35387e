import { fftFrequencies } from './convert.ts';
import { FeatureError, positiveNumber, sampleRate } from './errors.ts';
import type { FeatureMatrix } from './matrix.ts';
import { npPow, TINY } from './normalize.ts';
import type { StftOptions } from './stft.ts';
import { forEachSpectrum, resolveStft } from './stft.ts';

export type SpectralOptions = StftOptions & { sr: number };

/**
 * Runs reduce(S, freqs) over the magnitude spectrum of every frame (what librosa's spectral_*
 * functions start from) and returns the per-frame results as one row.
 */
function perFrame(
  y: Float32Array,
  options: SpectralOptions,
  reduce: (S: Float64Array, freqs: Float64Array) => number,
): FeatureMatrix {
  const sr = sampleRate('sr', options.sr);
  const stft = resolveStft(options, 512);
  const freqs = fftFrequencies(sr, stft.nFft);
  const out: number[] = [];
  forEachSpectrum(y, stft, 1, (S) => out.push(reduce(S, freqs)));
  return { rows: 1, cols: out.length, data: Float32Array.from(out) };
}

/** The L1 norm librosa.util.normalize(S, norm=1) divides a frame by (1 when it is below TINY). */
function l1(S: Float64Array): number {
  let sum = 0;
  for (const v of S) sum += v;
  return sum < TINY ? 1 : sum;
}

function centroid(S: Float64Array, freqs: Float64Array): number {
  const len = l1(S);
  let acc = 0;
  for (let k = 0; k < S.length; k++) acc += freqs[k]! * (S[k]! / len);
  return acc;
}

/** librosa.feature.spectral_centroid(y=y, ...): magnitude-weighted mean frequency of each frame (Hz). */
export function spectralCentroid(y: Float32Array, options: SpectralOptions): FeatureMatrix {
  return perFrame(y, options, centroid);
}

/**
 * librosa.feature.spectral_bandwidth(y=y, ...): (sum_k S[k] |f[k] - centroid|^p)^(1/p), with S
 * L1-normalised per frame when norm (default true); p default 2.
 */
export function spectralBandwidth(
  y: Float32Array,
  options: SpectralOptions & { p?: number; norm?: boolean },
): FeatureMatrix {
  const p = positiveNumber('p', options.p ?? 2);
  return perFrame(y, options, (S, freqs) => {
    const c = centroid(S, freqs);
    const len = options.norm === false ? 1 : l1(S);
    let acc = 0;
    for (let k = 0; k < S.length; k++) acc += (S[k]! / len) * npPow(Math.abs(c - freqs[k]!), p);
    return npPow(acc, 1 / p);
  });
}

/** librosa.feature.spectral_rolloff(y=y, ...): lowest bin frequency holding rollPercent (default 0.85) of the magnitude. */
export function spectralRolloff(
  y: Float32Array,
  options: SpectralOptions & { rollPercent?: number },
): FeatureMatrix {
  const rollPercent = options.rollPercent ?? 0.85;
  if (!(rollPercent > 0 && rollPercent < 1)) {
    throw new FeatureError('INVALID_OPTION', `rollPercent must lie in (0, 1), got ${rollPercent}`);
  }
  return perFrame(y, options, (S, freqs) => {
    let total = 0;
    for (const v of S) total += v;
    // librosa compares the running (cumsum) total, accumulated in the same order, with the threshold.
    const threshold = rollPercent * total;
    let sum = 0;
    for (let k = 0; k < S.length; k++) {
      sum += S[k]!;
      if (sum >= threshold) return freqs[k]!;
    }
    return freqs[S.length - 1]!;
  });
}
