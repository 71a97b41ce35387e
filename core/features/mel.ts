import { ConfigCache } from './cache.ts';
import { fftFrequencies, melFrequencies } from './convert.ts';
import { FeatureError, positiveInt, sampleRate } from './errors.ts';
import type { FeatureMatrix } from './matrix.ts';
import { framesToMatrix } from './matrix.ts';
import type { StftOptions, StftParams } from './stft.ts';
import { forEachSpectrum, frameCount, resolveStft } from './stft.ts';

/** librosa.filters.mel's options. */
export interface MelOptions {
  sr: number;
  nFft?: number;
  /** Default 128. */
  nMels?: number;
  /** Hz, default 0. */
  fmin?: number;
  /** Hz, default sr / 2. */
  fmax?: number;
  /** HTK mel formula instead of Slaney's. Default false. */
  htk?: boolean;
  /** 'slaney' (area-normalised triangles, librosa's default) or null (peak 1). */
  norm?: 'slaney' | null;
}

export interface MelParams {
  sr: number;
  nFft: number;
  nMels: number;
  fmin: number;
  fmax: number;
  htk: boolean;
  norm: 'slaney' | null;
}

export function resolveMel(options: MelOptions, nFft: number): MelParams {
  const sr = sampleRate('sr', options.sr);
  const fmin = options.fmin ?? 0;
  const fmax = options.fmax ?? sr / 2;
  if (!Number.isFinite(fmin) || fmin < 0 || !Number.isFinite(fmax) || fmax <= fmin) {
    throw new FeatureError('INVALID_OPTION', `need 0 <= fmin < fmax, got fmin ${fmin}, fmax ${fmax}`);
  }
  // Above Nyquist there are no FFT bins: those filters would be empty (librosa only warns).
  if (fmax > sr / 2) {
    throw new FeatureError('INVALID_OPTION', `fmax ${fmax} Hz is above the Nyquist frequency ${sr / 2} Hz`);
  }
  // More bands than FFT bins leaves bands empty; the bound also caps the filter bank's size.
  const bins = 1 + Math.floor(nFft / 2);
  const nMels = positiveInt('nMels', options.nMels ?? 128);
  if (nMels > bins) {
    throw new FeatureError(
      'INVALID_OPTION',
      `nMels ${nMels} must be at most ${bins} (the FFT bins of nFft ${nFft})`,
    );
  }
  const norm = options.norm === undefined ? 'slaney' : options.norm;
  if (norm !== 'slaney' && norm !== null) {
    throw new FeatureError('INVALID_OPTION', `mel norm must be 'slaney' or null, got ${String(norm)}`);
  }
  return {
    sr,
    nFft,
    nMels,
    fmin,
    fmax,
    htk: options.htk ?? false,
    norm,
  };
}

/**
 * A mel filter bank stored sparsely: band m has weights[offset[m] .. offset[m] + length[m]) applied
 * to FFT bins start[m] ... Weights are float32-rounded exactly as librosa's (float32) matrix holds them.
 */
export interface MelFilterbank {
  nMels: number;
  bins: number;
  start: Int32Array;
  length: Int32Array;
  offset: Int32Array;
  weights: Float32Array;
}

/** librosa.filters.mel (triangular filters on the Slaney or HTK mel scale), as a sparse bank. */
export function melFilterbank(options: MelOptions): MelFilterbank {
  return buildMelFilterbank(resolveMel(options, positiveInt('nFft', options.nFft ?? 2048)));
}

const banks = new ConfigCache<MelFilterbank>();

/** The filter bank of resolved params, built once per configuration; shared, so read it only. */
export function sharedMelFilterbank(p: MelParams): MelFilterbank {
  return banks.get(JSON.stringify(p), () => buildMelFilterbank(p));
}

function buildMelFilterbank(p: MelParams): MelFilterbank {
  const bins = (p.nFft >> 1) + 1;
  const fftFreqs = fftFrequencies(p.sr, p.nFft);
  const melF = melFrequencies(p.nMels + 2, p.fmin, p.fmax, p.htk);
  const start = new Int32Array(p.nMels);
  const length = new Int32Array(p.nMels);
  const offset = new Int32Array(p.nMels);
  const all: number[] = [];
  const row = new Float64Array(bins);
  for (let m = 0; m < p.nMels; m++) {
    const lowDiff = melF[m + 1]! - melF[m]!;
    const highDiff = melF[m + 2]! - melF[m + 1]!;
    const enorm = 2 / (melF[m + 2]! - melF[m]!);
    let first = -1;
    let last = -1;
    for (let k = 0; k < bins; k++) {
      const lower = (fftFreqs[k]! - melF[m]!) / lowDiff;
      const upper = (melF[m + 2]! - fftFreqs[k]!) / highDiff;
      // librosa stores into a float32 matrix, then scales it in place by enorm (float64 product, float32 store).
      let w = Math.fround(Math.max(0, Math.min(lower, upper)));
      if (p.norm === 'slaney') w = Math.fround(w * enorm);
      row[k] = w;
      if (w !== 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    start[m] = Math.max(first, 0);
    offset[m] = all.length;
    length[m] = first < 0 ? 0 : last - first + 1;
    for (let k = start[m]!; k < start[m]! + length[m]!; k++) all.push(row[k]!);
  }
  return { nMels: p.nMels, bins, start, length, offset, weights: Float32Array.from(all) };
}

/** The filter bank as librosa's dense (nMels x bins) matrix. */
export function melFilterbankMatrix(fb: MelFilterbank): FeatureMatrix {
  const data = new Float32Array(fb.nMels * fb.bins);
  for (let m = 0; m < fb.nMels; m++) {
    data.set(fb.weights.subarray(fb.offset[m]!, fb.offset[m]! + fb.length[m]!), m * fb.bins + fb.start[m]!);
  }
  return { rows: fb.nMels, cols: fb.bins, data };
}

/** out[outOffset + m] = sum_k fb[m, k] * spec[specOffset + k]: one frame through the sparse bank. */
export function applyMel(
  fb: MelFilterbank,
  spec: Float64Array,
  specOffset: number,
  out: Float64Array,
  outOffset: number,
): void {
  const { start, length, offset, weights } = fb;
  for (let m = 0; m < fb.nMels; m++) {
    const s = specOffset + start[m]!;
    const o = offset[m]!;
    const n = length[m]!;
    let acc = 0;
    for (let j = 0; j < n; j++) acc += weights[o + j]! * spec[s + j]!;
    out[outOffset + m] = acc;
  }
}

/** Options of librosa.feature.melspectrogram: framing, mel bank and spectrogram exponent. */
export type MelSpectrogramOptions = StftOptions & MelOptions & { power?: 1 | 2 };

/** Mel power of every frame, frame-major float64 (frame t's bands start at t * nMels). */
export function melFrames(
  y: Float32Array,
  options: MelSpectrogramOptions,
): { frames: Float64Array; nMels: number; cols: number; stft: StftParams } {
  const stft = resolveStft(options, 512);
  const fb = sharedMelFilterbank(resolveMel(options, stft.nFft));
  const frames = new Float64Array(frameCount(y.length, stft.nFft, stft.hopLength, stft.center) * fb.nMels);
  const cols = forEachSpectrum(y, stft, options.power ?? 2, (spectrum, t) =>
    applyMel(fb, spectrum, 0, frames, t * fb.nMels),
  );
  return { frames, nMels: fb.nMels, cols, stft };
}

/** librosa.feature.melspectrogram(y=y, ...): rows = nMels, cols = frames. */
export function melSpectrogram(y: Float32Array, options: MelSpectrogramOptions): FeatureMatrix {
  const { frames, nMels, cols } = melFrames(y, options);
  return framesToMatrix(frames, nMels, cols);
}
