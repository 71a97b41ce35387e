import { fftFrequencies, hzToOcts, linspace, pyMod } from './convert.ts';
import { FeatureError, finiteNumber, positiveInt, positiveNumber, sampleRate } from './errors.ts';
import type { FeatureMatrix } from './matrix.ts';
import { framesToMatrix } from './matrix.ts';
import { normalizeFrames, normOrder } from './normalize.ts';
import type { StftOptions } from './stft.ts';
import { resolveStft, spectrogramFrames } from './stft.ts';

/** librosa.filters.chroma's options. */
export interface ChromaFilterOptions {
  sr: number;
  nFft?: number;
  /** Default 12. */
  nChroma?: number;
  /** Deviation from A440 in fractions of a chroma bin. Default 0. */
  tuning?: number;
  /** Centre octave of the Gaussian octave weighting. Default 5. */
  ctroct?: number;
  /** Its width in octaves; null weights all octaves equally. Default 2. */
  octwidth?: number | null;
  /** Column normalisation of the bank. Default 2. */
  norm?: number | null;
  /** Start at C (true, default) or at A. */
  baseC?: boolean;
}

/** np.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** librosa.filters.chroma: (nChroma x (1 + nFft / 2)) weights mapping FFT bins to pitch classes, float32. */
export function chromaFilterbank(options: ChromaFilterOptions): FeatureMatrix {
  const sr = sampleRate('sr', options.sr);
  const nFft = positiveInt('nFft', options.nFft ?? 2048);
  const nChroma = positiveInt('nChroma', options.nChroma ?? 12);
  const tuning = finiteNumber('tuning', options.tuning ?? 0);
  const ctroct = finiteNumber('ctroct', options.ctroct ?? 5);
  const octwidth = options.octwidth === undefined ? 2 : options.octwidth;
  const norm = options.norm === undefined ? 2 : options.norm;
  if (norm !== null) normOrder('chroma filter norm', norm);

  // Bin numbers (in chroma bins) of every FFT bin but DC; DC gets 1.5 octaves below bin 1.
  const freqs = linspace(0, sr, nFft, false);
  const frqbins = new Float64Array(nFft);
  for (let i = 1; i < nFft; i++) frqbins[i] = nChroma * hzToOcts(freqs[i]!, tuning, nChroma);
  frqbins[0] = (nFft > 1 ? frqbins[1]! : 0) - 1.5 * nChroma;
  const binwidth = new Float64Array(nFft);
  for (let i = 0; i < nFft - 1; i++) binwidth[i] = Math.max(frqbins[i + 1]! - frqbins[i]!, 1);
  binwidth[nFft - 1] = 1;

  const half = roundHalfEven(nChroma / 2);
  const wts = new Float64Array(nChroma * nFft); // column-major: bin i's chroma weights at i * nChroma
  for (let i = 0; i < nFft; i++) {
    for (let c = 0; c < nChroma; c++) {
      const d = pyMod(frqbins[i]! - c + half + 10 * nChroma, nChroma) - half;
      const z = (2 * d) / binwidth[i]!;
      wts[i * nChroma + c] = Math.exp(-0.5 * (z * z));
    }
  }
  if (norm !== null) normalizeFrames(wts, nChroma, nFft, norm);
  if (octwidth !== null) {
    for (let i = 0; i < nFft; i++) {
      const z = (frqbins[i]! / nChroma - ctroct) / octwidth;
      const g = Math.exp(-0.5 * (z * z));
      for (let c = 0; c < nChroma; c++) wts[i * nChroma + c] = wts[i * nChroma + c]! * g;
    }
  }
  const roll = options.baseC === false ? 0 : 3 * Math.floor(nChroma / 12);
  const bins = Math.floor(1 + nFft / 2);
  const data = new Float32Array(nChroma * bins);
  for (let c = 0; c < nChroma; c++) {
    const src = (c + roll) % nChroma;
    for (let i = 0; i < bins; i++) data[c * bins + i] = wts[i * nChroma + src]!;
  }
  return { rows: nChroma, cols: bins, data };
}

/** librosa.pitch_tuning: the histogram peak of the frequencies' deviation from the nearest bin. */
export function pitchTuning(frequencies: ArrayLike<number>, resolution = 0.01, binsPerOctave = 12): number {
  positiveNumber('resolution', resolution);
  const edges = linspace(-0.5, 0.5, Math.ceil(1 / resolution) + 1);
  const nBins = edges.length - 1;
  const counts = new Int32Array(nBins);
  let any = false;
  for (let i = 0; i < frequencies.length; i++) {
    const f = frequencies[i]!;
    if (!(f > 0)) continue;
    any = true;
    let residual = pyMod(binsPerOctave * hzToOcts(f), 1);
    if (residual >= 0.5) residual -= 1;
    // np.histogram with explicit edges: edges[b] <= r < edges[b + 1], the last bin closed.
    let lo = 0;
    let hi = nBins;
    if (residual < edges[0]! || residual > edges[nBins]!) continue;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (residual >= edges[mid]!) lo = mid;
      else hi = mid;
    }
    counts[lo]! += 1;
  }
  if (!any) return 0;
  let best = 0;
  for (let b = 1; b < nBins; b++) if (counts[b]! > counts[best]!) best = b;
  return edges[best]!;
}

/** np.median. */
function median(values: number[]): number {
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * librosa.estimate_tuning over a (magnitude or power) spectrogram, frame-major: piptrack's parabolic
 * peak picking (fmin 150 Hz, fmax 4 kHz, threshold 0.1 of the frame max), then pitchTuning of the
 * peaks at least as strong as their median.
 */
export function estimateTuningFromFrames(
  frames: Float64Array,
  bins: number,
  cols: number,
  sr: number,
  resolution = 0.01,
  binsPerOctave = 12,
): number {
  const nFft = 2 * (bins - 1);
  const freqs = fftFrequencies(sr, nFft);
  const fmin = 150;
  const fmax = Math.min(4000, sr / 2);
  const pitches: number[] = [];
  const mags: number[] = [];
  for (let t = 0; t < cols; t++) {
    const o = t * bins;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < bins; k++) max = Math.max(max, frames[o + k]!);
    const ref = 0.1 * max;
    const thr = (k: number) => (frames[o + k]! > ref ? frames[o + k]! : 0);
    for (let k = 1; k < bins; k++) {
      if (!(fmin <= freqs[k]! && freqs[k]! < fmax)) continue;
      const x = thr(k);
      // util.localmax: strictly above the left neighbour, at least the right one; the last bin only the left.
      const isMax = k === bins - 1 ? x > thr(k - 1) : x > thr(k - 1) && x >= thr(k + 1);
      if (!isMax) continue;
      let shift = 0;
      let avg: number;
      if (k === bins - 1) {
        avg = frames[o + k]! - frames[o + k - 1]!;
      } else {
        const a = frames[o + k + 1]! + frames[o + k - 1]! - 2 * frames[o + k]!;
        const b = (frames[o + k + 1]! - frames[o + k - 1]!) / 2;
        shift = Math.abs(b) >= Math.abs(a) ? 0 : -b / a;
        avg = b;
      }
      const pitch = ((k + shift) * sr) / nFft;
      if (pitch > 0) {
        pitches.push(pitch);
        mags.push(frames[o + k]! + 0.5 * avg * shift);
      }
    }
  }
  if (pitches.length === 0) return pitchTuning([], resolution, binsPerOctave);
  const threshold = median(mags);
  return pitchTuning(
    pitches.filter((_, i) => mags[i]! >= threshold),
    resolution,
    binsPerOctave,
  );
}

/** librosa.estimate_tuning(y=y, sr=sr, n_fft=...): tuning offset in fractions of a bin, from the magnitude STFT. */
export function estimateTuning(
  y: Float32Array,
  options: StftOptions & { sr: number; resolution?: number; binsPerOctave?: number },
): number {
  const sr = sampleRate('sr', options.sr);
  const spec = spectrogramFrames(y, resolveStft(options), 1);
  return estimateTuningFromFrames(
    spec.frames,
    spec.bins,
    spec.cols,
    sr,
    options.resolution,
    positiveInt('binsPerOctave', options.binsPerOctave ?? 12),
  );
}

export type ChromaStftOptions = StftOptions & {
  sr: number;
  /** Norm of each frame's chroma vector (Infinity: max = 1); null leaves it raw. Default Infinity. */
  norm?: number | null;
  /** Tuning in fractions of a chroma bin; null (default) estimates it like librosa. */
  tuning?: number | null;
  nChroma?: number;
};

/** librosa.feature.chroma_stft(y=y, ...): rows = nChroma pitch classes, cols = frames. */
export function chromaStft(y: Float32Array, options: ChromaStftOptions): FeatureMatrix {
  const sr = sampleRate('sr', options.sr);
  const nChroma = positiveInt('nChroma', options.nChroma ?? 12);
  const norm = options.norm === undefined ? Number.POSITIVE_INFINITY : options.norm;
  if (norm !== null) normOrder('chroma norm', norm);
  const stft = resolveStft(options, 512);
  const spec = spectrogramFrames(y, stft, 2);
  const tuning =
    options.tuning ?? estimateTuningFromFrames(spec.frames, spec.bins, spec.cols, sr, 0.01, nChroma);
  const fb = chromaFilterbank({ sr, nFft: stft.nFft, nChroma, tuning });
  if (fb.cols !== spec.bins) throw new FeatureError('INVALID_OPTION', 'chroma bank and spectrogram disagree');
  const out = new Float64Array(spec.cols * nChroma);
  for (let t = 0; t < spec.cols; t++) {
    const s = t * spec.bins;
    for (let c = 0; c < nChroma; c++) {
      let acc = 0;
      const row = c * fb.cols;
      for (let k = 0; k < spec.bins; k++) acc += fb.data[row + k]! * spec.frames[s + k]!;
      out[t * nChroma + c] = acc;
    }
  }
  if (norm !== null) normalizeFrames(out, nChroma, spec.cols, norm);
  return framesToMatrix(out, nChroma, spec.cols);
}
