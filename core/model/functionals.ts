// Window descriptor: statistics (functionals) of the frame descriptors over a window of frames,
// the fixed-size input of the emotion classifier. Level-dependent values are mostly taken relative
// to the window so a call's gain matters little.
import type { FeatureMatrix } from '../features/matrix.ts';
import { descriptorRows, type FrontendConfig } from './frontend.ts';

/** Length of the vector windowFunctionals returns. */
export function functionalsSize(cfg: FrontendConfig): number {
  return 3 * cfg.nMels + 4 * (cfg.nMfcc - 1) + ENERGY_STATS + F0_STATS + VOICING_STATS;
}

const ENERGY_STATS = 6;
const F0_STATS = 7;
const VOICING_STATS = 3;

/**
 * Functionals of frames [start, end) of `lld` (from frameDescriptors). `keep`, when given, marks
 * the frames to use (SpecAugment-style time masks in training); at least one frame must be kept.
 */
export function windowFunctionals(
  lld: FeatureMatrix,
  cfg: FrontendConfig,
  start: number,
  end: number,
  keep?: Uint8Array,
): Float32Array {
  const layout = descriptorRows(cfg);
  if (lld.rows !== layout.rows)
    throw new RangeError(`descriptor matrix has ${lld.rows} rows, expected ${layout.rows}`);
  if (!(start >= 0 && end <= lld.cols && end > start))
    throw new RangeError(`bad frame range ${start}..${end} of ${lld.cols}`);
  const frames: number[] = [];
  for (let t = start; t < end; t++) if (!keep || keep[t - start]) frames.push(t);
  if (frames.length === 0) throw new RangeError('every frame of the window is masked');
  const { cols, data } = lld;
  const out = new Float32Array(functionalsSize(cfg));
  let o = 0;
  const row = (r: number) => frames.map((t) => data[r * cols + t]!);

  // Mel bands: shape relative to the window's mean level, spread, and mean frame-to-frame change.
  const melMeans: number[] = [];
  const melStds: number[] = [];
  const melDeltas: number[] = [];
  for (let m = 0; m < cfg.nMels; m++) {
    const v = row(layout.mel + m);
    const [mu, sd] = meanStd(v);
    melMeans.push(mu);
    melStds.push(sd);
    melDeltas.push(meanAbsDelta(v));
  }
  const level = melMeans.reduce((a, b) => a + b, 0) / cfg.nMels;
  for (const mu of melMeans) out[o++] = mu - level;
  for (const sd of melStds) out[o++] = sd;
  for (const d of melDeltas) out[o++] = d;
  // MFCC 1..n-1: mean, spread, 10–90 % range and mean absolute frame-to-frame change.
  for (let k = 0; k < cfg.nMfcc - 1; k++) {
    const v = row(layout.mfcc + k);
    const [mu, sd] = meanStd(v);
    const sorted = Float64Array.from(v).sort();
    out[o++] = mu;
    out[o++] = sd;
    out[o++] = quantile(sorted, 0.9) - quantile(sorted, 0.1);
    out[o++] = meanAbsDelta(v);
  }
  // Energy (dB): absolute level, spread, dynamic range, position of the mean under the peak, slope.
  const energy = row(layout.energy);
  const [eMu, eSd] = meanStd(energy);
  const eSorted = Float64Array.from(energy).sort();
  const e90 = quantile(eSorted, 0.9);
  out[o++] = eMu;
  out[o++] = eSd;
  out[o++] = e90 - quantile(eSorted, 0.1);
  out[o++] = quantile(eSorted, 0.98) - eMu;
  out[o++] = meanAbsDelta(energy);
  out[o++] = slopePerSecond(frames, energy, cfg);
  // F0 (semitones) over voiced frames.
  const f0All = row(layout.f0);
  const voicedFrames = frames.filter((_, i) => f0All[i]! > 0);
  const f0 = f0All.filter((v) => v > 0);
  if (f0.length >= 2) {
    const [fMu, fSd] = meanStd(f0);
    const fSorted = Float64Array.from(f0).sort();
    out[o++] = fMu;
    out[o++] = fSd;
    out[o++] = quantile(fSorted, 0.1);
    out[o++] = quantile(fSorted, 0.9);
    out[o++] = quantile(fSorted, 0.9) - quantile(fSorted, 0.1);
    out[o++] = meanAbsDelta(f0);
    out[o++] = slopePerSecond(voicedFrames, f0, cfg);
  } else o += F0_STATS;
  // Voicing: mean strength, voiced fraction, voiced-segment onsets per second (a speech-rate proxy).
  const voicing = row(layout.voicing);
  out[o++] = voicing.reduce((a, b) => a + b, 0) / voicing.length;
  out[o++] = f0.length / frames.length;
  let onsets = 0;
  for (let i = 1; i < f0All.length; i++) if (f0All[i]! > 0 && !(f0All[i - 1]! > 0)) onsets++;
  out[o++] = onsets / ((frames.length * cfg.hopLength) / cfg.sr);
  return out;
}

function meanStd(v: number[]): [number, number] {
  let s = 0;
  for (const x of v) s += x;
  const mu = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mu) * (x - mu);
  return [mu, Math.sqrt(ss / v.length)];
}

function meanAbsDelta(v: number[]): number {
  if (v.length < 2) return 0;
  let s = 0;
  for (let i = 1; i < v.length; i++) s += Math.abs(v[i]! - v[i - 1]!);
  return s / (v.length - 1);
}

/** Linear interpolation between order statistics (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Least-squares slope of v against frame time, per second. */
function slopePerSecond(frames: number[], v: number[], cfg: FrontendConfig): number {
  if (v.length < 2) return 0;
  const secondsPerFrame = cfg.hopLength / cfg.sr;
  let tm = 0;
  let vm = 0;
  for (let i = 0; i < v.length; i++) {
    tm += frames[i]! * secondsPerFrame;
    vm += v[i]!;
  }
  tm /= v.length;
  vm /= v.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < v.length; i++) {
    const dt = frames[i]! * secondsPerFrame - tm;
    num += dt * (v[i]! - vm);
    den += dt * dt;
  }
  return den > 0 ? num / den : 0;
}
