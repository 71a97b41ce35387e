import { fftFrequencies } from './convert.ts';
import { FeatureError, positiveNumber } from './errors.ts';
import type { FeatureMatrix } from './matrix.ts';
import { npPow, TINY } from './normalize.ts';
import type { StftOptions } from './stft.ts';
import { resolveStft, spectrogramFrames } from './stft.ts';

export type SpectralOptions = StftOptions & { sr: number };

/** The magnitude spectrogram librosa's spectral_* functions start from, with its bin frequencies. */
function magnitude(y: Float32Array, options: SpectralOptions) {
  const sr = positiveNumber('sr', options.sr);
  const stft = resolveStft(options, 512);
  const spec = spectrogramFrames(y, stft, 1);
  return { ...spec, freqs: fftFrequencies(sr, stft.nFft) };
}

/** The L1 norm librosa.util.normalize(S, norm=1) divides a frame by (1 when it is below TINY). */
function l1(frames: Float64Array, offset: number, bins: number): number {
  let sum = 0;
  for (let k = 0; k < bins; k++) sum += frames[offset + k]!;
  return sum < TINY ? 1 : sum;
}

function centroids(frames: Float64Array, bins: number, cols: number, freqs: Float64Array): Float64Array {
  const out = new Float64Array(cols);
  for (let t = 0; t < cols; t++) {
    const o = t * bins;
    const len = l1(frames, o, bins);
    let acc = 0;
    for (let k = 0; k < bins; k++) acc += freqs[k]! * (frames[o + k]! / len);
    out[t] = acc;
  }
  return out;
}

function row(values: Float64Array): FeatureMatrix {
  return { rows: 1, cols: values.length, data: Float32Array.from(values) };
}

/** librosa.feature.spectral_centroid(y=y, ...): magnitude-weighted mean frequency of each frame (Hz). */
export function spectralCentroid(y: Float32Array, options: SpectralOptions): FeatureMatrix {
  const { frames, bins, cols, freqs } = magnitude(y, options);
  return row(centroids(frames, bins, cols, freqs));
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
  const { frames, bins, cols, freqs } = magnitude(y, options);
  const centroid = centroids(frames, bins, cols, freqs);
  const out = new Float64Array(cols);
  for (let t = 0; t < cols; t++) {
    const o = t * bins;
    const len = options.norm === false ? 1 : l1(frames, o, bins);
    let acc = 0;
    for (let k = 0; k < bins; k++) {
      acc += (frames[o + k]! / len) * npPow(Math.abs(centroid[t]! - freqs[k]!), p);
    }
    out[t] = npPow(acc, 1 / p);
  }
  return row(out);
}

/** librosa.feature.spectral_rolloff(y=y, ...): lowest bin frequency holding rollPercent (default 0.85) of the magnitude. */
export function spectralRolloff(
  y: Float32Array,
  options: SpectralOptions & { rollPercent?: number },
): FeatureMatrix {
  const rollPercent = options.rollPercent ?? 0.85;
  if (!(rollPercent > 0 && rollPercent < 1)) {
    throw new FeatureError('invalid-option', `rollPercent must lie in (0, 1), got ${rollPercent}`);
  }
  const { frames, bins, cols, freqs } = magnitude(y, options);
  const out = new Float64Array(cols);
  const cumulative = new Float64Array(bins);
  for (let t = 0; t < cols; t++) {
    const o = t * bins;
    let sum = 0;
    for (let k = 0; k < bins; k++) {
      sum += frames[o + k]!;
      cumulative[k] = sum;
    }
    const threshold = rollPercent * sum;
    let k = 0;
    while (cumulative[k]! < threshold) k++;
    out[t] = freqs[k]!;
  }
  return row(out);
}
