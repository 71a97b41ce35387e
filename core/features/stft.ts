import type FFT from 'fft.js';
import { ConfigCache } from './cache.ts';
import { FeatureError, positiveInt, requireFiniteAudio } from './errors.ts';
import { fftOf } from './fft.ts';
import type { FeatureMatrix } from './matrix.ts';
import { framesToMatrix } from './matrix.ts';
import { stftWindow } from './window.ts';

/** librosa.stft's framing options (window is always 'hann'; pad_mode is always librosa's default 'constant'). */
export interface StftOptions {
  /** FFT size; a power of two (fft.js). librosa default 2048. */
  nFft?: number;
  /** Samples between frames. librosa.stft's default is winLength / 4; the feature functions default to 512. */
  hopLength?: number;
  /** Hann window length, centred and zero-padded to nFft. Default nFft. */
  winLength?: number;
  /** Pad nFft / 2 zeros at both ends so frame t is centred on sample t * hopLength. Default true. */
  center?: boolean;
}

export interface StftParams {
  nFft: number;
  hopLength: number;
  winLength: number;
  center: boolean;
}

/** Fills in librosa's defaults; `defaultHop` is 512 for the feature functions, undefined for stft (winLength / 4). */
export function resolveStft(options: StftOptions = {}, defaultHop?: number): StftParams {
  const nFft = positiveInt('nFft', options.nFft ?? 2048);
  if (nFft < 2 || (nFft & (nFft - 1)) !== 0) {
    throw new FeatureError('INVALID_OPTION', `nFft must be a power of two >= 2 (fft.js), got ${nFft}`);
  }
  const winLength = positiveInt('winLength', options.winLength ?? nFft);
  if (winLength > nFft) {
    throw new FeatureError('INVALID_OPTION', `winLength ${winLength} must not exceed nFft ${nFft}`);
  }
  const hopLength = positiveInt('hopLength', options.hopLength ?? defaultHop ?? Math.floor(winLength / 4));
  return { nFft, hopLength, winLength, center: options.center ?? true };
}

/** Frames librosa produces for n samples (centred: 1 + floor(n / hop) for even nFft). */
export function frameCount(n: number, frameLength: number, hopLength: number, center: boolean): number {
  const padded = center ? n + 2 * Math.floor(frameLength / 2) : n;
  if (padded < frameLength) {
    throw new FeatureError(
      'SIGNAL_TOO_SHORT',
      `${n} samples are fewer than the frame length ${frameLength} (center=false)`,
    );
  }
  return 1 + Math.floor((padded - frameLength) / hopLength);
}

/**
 * Copies samples [start, start + out.length) of a signal into out, zero where they fall outside
 * [0, end): src holds the signal's samples from index srcStart on.
 */
export function copyFrame(
  src: Float32Array,
  srcStart: number,
  end: number,
  start: number,
  out: Float64Array,
): void {
  const n = out.length;
  const from = Math.max(0, -start);
  const to = Math.min(n, end - start);
  if (from > 0 || to < n) out.fill(0);
  const base = start - srcStart;
  for (let i = from; i < to; i++) out[i] = src[base + i]!;
}

/** Frame t of y (length out.length) as librosa frames it: centred frames are zero-padded (pad_mode='constant'). */
export function readFrame(
  y: Float32Array,
  t: number,
  hopLength: number,
  center: boolean,
  out: Float64Array,
): void {
  copyFrame(y, 0, y.length, t * hopLength - (center ? out.length >> 1 : 0), out);
}

const windows = new ConfigCache<Float64Array>();

/**
 * One frame's |FFT(window * frame)|^power, windowed straight from the signal, with the window and
 * FFT tables shared per configuration and the buffers made once: the hot path of every spectral
 * feature, allocation-free per frame.
 */
export class PowerSpectrum {
  readonly bins: number;
  private readonly fft: FFT;
  private readonly window: Float64Array;
  private readonly winStart: number;
  private readonly winEnd: number;
  private readonly windowed: Float64Array;
  private readonly spectrum: Float64Array;

  constructor(
    readonly params: StftParams,
    readonly power: 1 | 2,
  ) {
    const { nFft, winLength } = params;
    this.bins = (nFft >> 1) + 1;
    this.fft = fftOf(nFft);
    this.window = windows.get(`${winLength}/${nFft}`, () => stftWindow(winLength, nFft));
    this.winStart = Math.floor((nFft - winLength) / 2);
    this.winEnd = this.winStart + winLength;
    this.windowed = new Float64Array(nFft);
    this.spectrum = new Float64Array(2 * nFft);
  }

  /**
   * The frame of nFft samples from sample `start` of a signal of `end` samples, zero outside
   * [0, end) (librosa's constant padding); src holds the signal from sample srcStart on. Writes
   * `bins` values to out from outOffset.
   */
  compute(
    src: Float32Array,
    srcStart: number,
    end: number,
    start: number,
    out: Float64Array,
    outOffset = 0,
  ): void {
    const { window, windowed, spectrum, winStart, winEnd } = this;
    // Outside the Hann support the window is zero; windowed stays zero there from construction.
    const from = Math.max(winStart, -start);
    const to = Math.min(winEnd, end - start);
    if (from > winStart || to < winEnd) windowed.fill(0, winStart, winEnd);
    const base = start - srcStart;
    for (let i = from; i < to; i++) windowed[i] = src[base + i]! * window[i]!;
    this.fft.realTransform(spectrum, windowed);
    const bins = this.bins;
    if (this.power === 2) {
      for (let k = 0; k < bins; k++) {
        const re = spectrum[2 * k]!;
        const im = spectrum[2 * k + 1]!;
        out[outOffset + k] = re * re + im * im;
      }
    } else {
      for (let k = 0; k < bins; k++) {
        const re = spectrum[2 * k]!;
        const im = spectrum[2 * k + 1]!;
        out[outOffset + k] = Math.sqrt(re * re + im * im);
      }
    }
  }
}

/**
 * Calls visit(spectrum, t) with |STFT|^power of each frame in turn (spectrum: a reused buffer of
 * 1 + nFft / 2 values), so callers that reduce frames need not hold the whole spectrogram.
 * Returns the frame count.
 */
export function forEachSpectrum(
  y: Float32Array,
  params: StftParams,
  power: 1 | 2,
  visit: (spectrum: Float64Array, t: number) => void,
): number {
  requireFiniteAudio(y);
  const { nFft, hopLength, center } = params;
  const cols = frameCount(y.length, nFft, hopLength, center);
  const spec = new PowerSpectrum(params, power);
  const spectrum = new Float64Array(spec.bins);
  const pad = center ? nFft >> 1 : 0;
  for (let t = 0; t < cols; t++) {
    spec.compute(y, 0, y.length, t * hopLength - pad, spectrum);
    visit(spectrum, t);
  }
  return cols;
}

/** |STFT|^power of every frame, frame-major float64 (frame t's bins start at t * bins). */
export function spectrogramFrames(
  y: Float32Array,
  params: StftParams,
  power: 1 | 2,
): { frames: Float64Array; bins: number; cols: number } {
  const bins = (params.nFft >> 1) + 1;
  const frames = new Float64Array(frameCount(y.length, params.nFft, params.hopLength, params.center) * bins);
  const cols = forEachSpectrum(y, params, power, (spectrum, t) => frames.set(spectrum, t * bins));
  return { frames, bins, cols };
}

/** np.abs(librosa.stft(y, ...)) ** power, power 2 by default: rows = 1 + nFft / 2 bins, cols = frames. */
export function stftPower(y: Float32Array, options: StftOptions & { power?: 1 | 2 } = {}): FeatureMatrix {
  const { frames, bins, cols } = spectrogramFrames(y, resolveStft(options), options.power ?? 2);
  return framesToMatrix(frames, bins, cols);
}
