import { FeatureError, positiveInt } from './errors.ts';
import type { LogMelOptions } from './logmel.ts';
import { logMelFrames } from './logmel.ts';
import type { FeatureMatrix } from './matrix.ts';
import { framesToMatrix } from './matrix.ts';

/** librosa.feature.mfcc's own options (dct_type 2 with norm 'ortho' is the only DCT offered). */
export interface MfccOptions {
  /** Coefficients kept. Default 20. */
  nMfcc?: number;
  /** Cepstral liftering 1 + (lifter / 2) sin(pi (k + 1) / lifter); 0 disables. Default 0. */
  lifter?: number;
}

/**
 * The first nMfcc rows of scipy.fft.dct(type=2, norm='ortho') over nMels inputs, liftering folded
 * in. Hand-written (hot path): row k is symmetric in n for even k and antisymmetric for odd k, so
 * each frame is folded once (x[n] +/- x[N-1-n]) and every row costs N/2 multiply-adds, which at
 * these sizes (20 x 64) beats an FFT-based DCT.
 */
export class Dct {
  private readonly half: number;
  /** Row k's weights for the folded inputs n < N/2 (N odd: plus the middle sample, last). */
  private readonly matrix: Float64Array;
  private readonly sums: Float64Array;
  private readonly diffs: Float64Array;

  constructor(
    readonly nMfcc: number,
    readonly nMels: number,
    lifter = 0,
  ) {
    positiveInt('nMfcc', nMfcc);
    if (nMfcc > nMels) {
      throw new FeatureError('INVALID_OPTION', `nMfcc ${nMfcc} must not exceed nMels ${nMels}`);
    }
    if (!(lifter >= 0 && Number.isFinite(lifter))) {
      throw new FeatureError('INVALID_OPTION', `lifter must be a non-negative number, got ${lifter}`);
    }
    const half = nMels >> 1;
    const width = nMels - half; // half + 1 when nMels is odd: the middle sample gets its own column
    this.half = half;
    this.matrix = new Float64Array(nMfcc * width);
    this.sums = new Float64Array(width);
    this.diffs = new Float64Array(width);
    for (let k = 0; k < nMfcc; k++) {
      const scale = (k === 0 ? Math.sqrt(1 / (4 * nMels)) : Math.sqrt(1 / (2 * nMels))) * 2;
      const lift = lifter > 0 ? 1 + (lifter / 2) * Math.sin((Math.PI * (k + 1)) / lifter) : 1;
      for (let n = 0; n < width; n++) {
        this.matrix[k * width + n] = scale * lift * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * nMels));
      }
    }
  }

  /** out[outOffset + k] = sum_n C[k, n] * input[inOffset + n]. */
  apply(input: Float64Array, inOffset: number, out: Float64Array, outOffset: number): void {
    const { matrix, half, sums, diffs, nMels } = this;
    const width = nMels - half;
    for (let n = 0; n < half; n++) {
      const a = input[inOffset + n]!;
      const b = input[inOffset + nMels - 1 - n]!;
      sums[n] = a + b;
      diffs[n] = a - b;
    }
    if (width > half) {
      sums[half] = input[inOffset + half]!;
      diffs[half] = 0; // odd rows are zero at the middle sample
    }
    const quads = width & ~3;
    for (let k = 0; k < this.nMfcc; k++) {
      const v = k % 2 === 0 ? sums : diffs;
      const row = k * width;
      // Four independent sums: a single running sum is bound by the latency of each addition.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let n = 0;
      for (; n < quads; n += 4) {
        a0 += matrix[row + n]! * v[n]!;
        a1 += matrix[row + n + 1]! * v[n + 1]!;
        a2 += matrix[row + n + 2]! * v[n + 2]!;
        a3 += matrix[row + n + 3]! * v[n + 3]!;
      }
      for (; n < width; n++) a0 += matrix[row + n]! * v[n]!;
      out[outOffset + k] = a0 + a1 + (a2 + a3);
    }
  }
}

/** MFCCs of frame-major float64 log-mel frames, frame-major float64 out. */
export function mfccFrames(logMel: Float64Array, nMels: number, cols: number, dct: Dct): Float64Array {
  const out = new Float64Array(cols * dct.nMfcc);
  for (let t = 0; t < cols; t++) dct.apply(logMel, t * nMels, out, t * dct.nMfcc);
  return out;
}

/**
 * librosa.feature.mfcc: from audio (y, with melspectrogram + power_to_db options; librosa itself always
 * uses power_to_db's defaults, topDb 80, which `topDb` here may override) or from a log-power mel
 * spectrogram S (rows = mel bands).
 */
export function mfcc(y: Float32Array, options: LogMelOptions & MfccOptions): FeatureMatrix;
export function mfcc(S: FeatureMatrix, options?: MfccOptions): FeatureMatrix;
export function mfcc(input: Float32Array | FeatureMatrix, options: MfccOptions = {}): FeatureMatrix {
  const nMfcc = options.nMfcc ?? 20;
  if (input instanceof Float32Array) {
    const { frames, nMels, cols } = logMelFrames(input, options as LogMelOptions);
    return framesToMatrix(
      mfccFrames(frames, nMels, cols, new Dct(nMfcc, nMels, options.lifter)),
      nMfcc,
      cols,
    );
  }
  const { rows, cols, data } = input;
  const frames = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let t = 0; t < cols; t++) frames[t * rows + r] = data[r * cols + t]!;
  return framesToMatrix(mfccFrames(frames, rows, cols, new Dct(nMfcc, rows, options.lifter)), nMfcc, cols);
}
