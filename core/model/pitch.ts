// Autocorrelation pitch tracker (Boersma 1993, window-corrected). Hand-written: no installed
// library tracks F0, and prosody is a strong emotion cue on band-limited phone audio.
import type FFT from 'fft.js';
import { VoicePulseError } from '../errors.ts';
import { ConfigCache } from '../features/cache.ts';
import { fftOf } from '../features/fft.ts';

/** INVALID_RANGE: a pitch range whose periods do not fit the analysis frame. */
export class PitchError extends VoicePulseError<'INVALID_RANGE'> {}

export interface PitchOptions {
  sr: number;
  hopLength: number;
  /** Analysis frame in samples; must hold two periods of fminHz. */
  frameLength?: number;
  fminHz?: number;
  fmaxHz?: number;
}

export interface PitchTrack {
  /** F0 per frame in Hz, 0 where unvoiced. Frame i is centred on sample i·hopLength (librosa center=true). */
  f0Hz: Float32Array;
  /** Peak of the normalised autocorrelation in [0, 1]: the voicing strength. */
  voicing: Float32Array;
}

const VOICING_THRESHOLD = 0.6;
/** Frames quieter than this windowed energy (about -60 dBFS) are unvoiced: µ-law idle noise is not speech. */
const MIN_FRAME_ENERGY = 1e-6;
/**
 * A frame's FFT autocorrelation at lag 0 is size·Σx² up to rounding (relative error about
 * log2(size)·1e-16). Frames whose direct Σx² is under the floor by this far wider margin skip both
 * FFTs; the rest are decided on the FFT's value as before, so every decision is the FFT's.
 */
const SILENCE_MARGIN = 1e-6;
/** Voiced runs shorter than this many frames are dropped as spurious. */
const MIN_VOICED_RUN = 3;
const OCTAVE_TOLERANCE = 0.95;

/** PitchOptions with the defaults filled in and the lag range they give. */
interface PitchParams {
  sr: number;
  hopLength: number;
  frameLength: number;
  minLag: number;
  maxLag: number;
}

function resolvePitch(opts: PitchOptions): PitchParams {
  const { sr, hopLength } = opts;
  const frameLength = opts.frameLength ?? Math.round(sr * 0.032);
  const fmin = opts.fminHz ?? 60;
  const fmax = opts.fmaxHz ?? 400;
  const minLag = Math.max(2, Math.floor(sr / fmax));
  const maxLag = Math.min(frameLength - 2, Math.ceil(sr / fmin));
  if (minLag >= maxLag)
    throw new PitchError(
      'INVALID_RANGE',
      `pitch range ${fmin}-${fmax} Hz does not fit a ${frameLength}-sample frame`,
    );
  return { sr, hopLength, frameLength, minLag, maxLag };
}

export function trackPitch(samples: Float32Array, opts: PitchOptions): PitchTrack {
  const { sr, hopLength, frameLength, minLag, maxLag } = resolvePitch(opts);
  const tracker = trackers.get(String(frameLength), () => new Tracker(frameLength));
  const { window, windowAc, input, ac, norm, energyFloor, silentBelow } = tracker;
  const n = samples.length;
  const nFrames = 1 + Math.floor(n / hopLength);
  const f0Hz = new Float32Array(nFrames);
  const voicing = new Float32Array(nFrames);
  const half = Math.floor(frameLength / 2);
  for (let f = 0; f < nFrames; f++) {
    // Samples outside the signal are zero: frame positions [lo, hi) hold samples.
    const start = f * hopLength - half;
    const lo = Math.max(0, -start);
    const hi = Math.min(frameLength, n - start);
    let mean = 0;
    for (let i = lo; i < hi; i++) mean += samples[start + i]!;
    mean /= frameLength;
    let energy = 0;
    for (let i = 0; i < frameLength; i++) {
      // Rounded to float32, as the tracker's frame buffer has always held it.
      const x = Math.fround(((i >= lo && i < hi ? samples[start + i]! : 0) - mean) * window[i]!);
      input[i] = x;
      energy += x * x;
    }
    if (energy < silentBelow) continue;
    tracker.autocorrelate();
    const r0 = ac[0]!;
    if (!(r0 > energyFloor)) continue;
    // Normalised, window-corrected autocorrelation at each candidate lag; the shortest lag whose
    // local peak is within OCTAVE_TOLERANCE of the best avoids sub-octave (period-doubling) errors.
    let best = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      const r = ac[2 * lag]! / r0 / windowAc[lag]!;
      norm[lag] = r;
      if (r > best) best = r;
    }
    let bestLag = 0;
    for (let lag = minLag + 1; lag < maxLag; lag++) {
      const r = norm[lag]!;
      if (r >= OCTAVE_TOLERANCE * best && r >= norm[lag - 1]! && r >= norm[lag + 1]!) {
        bestLag = lag;
        best = r;
        break;
      }
    }
    voicing[f] = Math.min(1, best);
    if (best < VOICING_THRESHOLD || bestLag === 0) continue;
    // Parabolic interpolation of the peak for sub-sample lag precision.
    const a = ac[2 * (bestLag - 1)]! / windowAc[bestLag - 1]!;
    const b = ac[2 * bestLag]! / windowAc[bestLag]!;
    const c = ac[2 * (bestLag + 1)]! / windowAc[bestLag + 1]!;
    const denom = a - 2 * b + c;
    const shift = denom < 0 ? (0.5 * (a - c)) / denom : 0;
    f0Hz[f] = sr / (bestLag + Math.max(-0.5, Math.min(0.5, shift)));
  }
  removeShortRuns(f0Hz, MIN_VOICED_RUN);
  return { f0Hz, voicing };
}

/** Zeroes voiced runs shorter than `minRun` frames and median-filters (3 taps) the rest. */
function removeShortRuns(f0: Float32Array, minRun: number): void {
  let start = 0;
  while (start < f0.length) {
    if (f0[start] === 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < f0.length && f0[end]! > 0) end++;
    if (end - start < minRun) f0.fill(0, start, end);
    else {
      // a, b: the unfiltered values before and at i (f0[i - 1] is already filtered).
      let a = f0[start]!;
      let b = f0[start + 1]!;
      for (let i = start + 1; i + 1 < end; i++) {
        const c = f0[i + 1]!;
        f0[i] = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
        a = b;
        b = c;
      }
    }
    start = end;
  }
}

/**
 * What the tracker needs for one frame length: the window and its autocorrelation, the energy floor,
 * and the buffers of the linear autocorrelation of a frame (zero-padded to `size` ≥ 2·frameLength)
 * via its power spectrum. Built once per frame length and shared: trackPitch runs to completion, so
 * the buffers are free between calls.
 */
class Tracker {
  readonly size: number;
  readonly window: Float32Array;
  /** The window's autocorrelation, normalised to 1 at lag 0. */
  readonly windowAc: Float64Array;
  /** Energy floor and the direct Σx² below which a frame is surely under it (SILENCE_MARGIN). */
  readonly energyFloor: number;
  readonly silentBelow: number;
  /** The frame, written by the caller in [0, frameLength); zero after. */
  readonly input: Float64Array;
  /** After autocorrelate(): the autocorrelation at lag i in ac[2·i]. */
  readonly ac: Float64Array;
  /** Scratch for the caller's normalised autocorrelation, one per lag. */
  readonly norm: Float64Array;
  private readonly fft: FFT;
  private readonly spec: Float64Array;
  private readonly power: Float64Array;

  constructor(frameLength: number) {
    let size = 2;
    while (size < 2 * frameLength) size *= 2;
    this.size = size;
    this.fft = fftOf(size);
    this.input = new Float64Array(size);
    this.spec = new Float64Array(2 * size);
    this.power = new Float64Array(size);
    this.ac = new Float64Array(2 * size);
    this.norm = new Float64Array(frameLength);
    this.window = new Float32Array(frameLength);
    for (let i = 0; i < frameLength; i++)
      this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / frameLength);
    this.input.set(this.window);
    this.autocorrelate();
    const w0 = this.ac[0]!;
    this.windowAc = new Float64Array(size / 2);
    for (let i = 0; i < frameLength; i++) this.windowAc[i] = this.ac[2 * i]! / w0;
    this.energyFloor = MIN_FRAME_ENERGY * w0;
    this.silentBelow = (this.energyFloor / size) * (1 - SILENCE_MARGIN);
  }

  /** input → ac. */
  autocorrelate(): void {
    const { fft, size, spec, power } = this;
    fft.realTransform(spec, this.input);
    // The power spectrum is real and even, so its forward transform is size·(inverse transform):
    // a second real transform replaces the slower complex inverse.
    const half = size / 2;
    for (let k = 0; k <= half; k++) {
      const re = spec[2 * k]!;
      const im = spec[2 * k + 1]!;
      const p = re * re + im * im;
      power[k] = p;
      if (k > 0 && k < half) power[size - k] = p;
    }
    fft.realTransform(this.ac, power);
  }
}

const trackers = new ConfigCache<Tracker>();
