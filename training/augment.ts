// Telephone-channel augmentation of 8 kHz training audio: G.711 round trips, 300–3400 Hz band
// limit, additive noise (white, pink, babble) at a target SNR, gain and speed perturbation.
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../core/audio/g711.ts';
import { resample } from '../core/audio/resample.ts';
import { gaussian, type Random } from '../core/random.ts';

export type Codec = 'mulaw' | 'alaw';

/** Float audio → int16 → G.711 → int16 → float, as a call leg does. */
export function codecRoundTrip(x: Float32Array, codec: Codec): Float32Array {
  const pcm = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]! * 32768)));
  const decoded = codec === 'mulaw' ? decodeUlaw(encodeUlaw(pcm)) : decodeAlaw(encodeAlaw(pcm));
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = decoded[i]! / 32768;
  return out;
}

/** Direct-form-I biquad (RBJ cookbook coefficients). */
function biquad(x: Float32Array, b0: number, b1: number, b2: number, a1: number, a2: number): Float32Array {
  const y = new Float32Array(x.length);
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = b0 * x[i]! + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x[i]!;
    y2 = y1;
    y1 = v;
    y[i] = v;
  }
  return y;
}

function rbj(x: Float32Array, kind: 'lowpass' | 'highpass', f0: number, sr: number, q: number): Float32Array {
  const w = (2 * Math.PI * f0) / sr;
  const alpha = Math.sin(w) / (2 * q);
  const cos = Math.cos(w);
  const a0 = 1 + alpha;
  const b1 = kind === 'lowpass' ? 1 - cos : -(1 + cos);
  const b0 = kind === 'lowpass' ? b1 / 2 : -b1 / 2;
  return biquad(x, b0 / a0, b1 / a0, b0 / a0, (-2 * cos) / a0, (1 - alpha) / a0);
}

/** 4th-order Butterworth band-pass (two cascaded biquads per edge). */
export function bandLimit(x: Float32Array, sr: number, lowHz = 300, highHz = 3400): Float32Array {
  const q1 = 0.5412;
  const q2 = 1.3066;
  let y = rbj(rbj(x, 'highpass', lowHz, sr, q1), 'highpass', lowHz, sr, q2);
  if (highHz < sr / 2) y = rbj(rbj(y, 'lowpass', highHz, sr, q1), 'lowpass', highHz, sr, q2);
  return y;
}

export function whiteNoise(n: number, random: Random): Float32Array {
  return Float32Array.from({ length: n }, () => gaussian(random));
}

/** Pink (1/f) noise by Paul Kellet's economy filter over white noise. */
export function pinkNoise(n: number, random: Random): Float32Array {
  const out = new Float32Array(n);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < n; i++) {
    const w = gaussian(random);
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    out[i] = b0 + b1 + b2 + w * 0.1848;
  }
  return out;
}

/** Babble: `talkers` random clips from `pool`, each looped from a random offset to length n. */
export function babble(n: number, pool: Float32Array[], talkers: number, random: Random): Float32Array {
  const out = new Float32Array(n);
  for (let k = 0; k < talkers && pool.length > 0; k++) {
    const src = pool[Math.floor(random() * pool.length)]!;
    const rms = Math.sqrt(power(src)) || 1;
    let j = Math.floor(random() * src.length);
    for (let i = 0; i < n; i++) {
      out[i]! += src[j]! / rms;
      j = (j + 1) % src.length;
    }
  }
  return out;
}

function power(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return x.length ? s / x.length : 0;
}

/** x + noise scaled so that 10·log10(P(x)/P(noise)) = snrDb. */
export function mixAtSnr(x: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  const px = power(x);
  const pn = power(noise);
  const scale = pn > 0 ? Math.sqrt(px / (pn * 10 ** (snrDb / 10))) : 0;
  return Float32Array.from(x, (v, i) => v + scale * noise[i % noise.length]!);
}

/** Multiplies by 10^(db/20) and clips to [-1, 1] as a saturated channel would. */
export function applyGain(x: Float32Array, db: number): Float32Array {
  const g = 10 ** (db / 20);
  return Float32Array.from(x, (v) => Math.max(-1, Math.min(1, v * g)));
}

/** Speed perturbation (tempo and pitch together, Kaldi-style): factor > 1 is faster. */
export function changeSpeed(x: Float32Array, sr: number, factor: number): Float32Array {
  // Reading the samples as if recorded at sr·factor, then resampling to sr (a small rational ratio).
  return factor === 1 ? x : resample(x, Math.round(sr * factor), sr);
}

export interface NoiseSpec {
  kind: 'white' | 'pink' | 'babble';
  snrDb: number;
}

export interface ChannelSpec {
  speed: number;
  gainDb: number;
  bandLimit: boolean;
  noise: NoiseSpec | null;
  codec: Codec;
}

/** A random telephone channel: the distribution the training variants are drawn from. */
export function randomChannel(random: Random): ChannelSpec {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  return {
    speed: random() < 0.5 ? pick([0.9, 1.1] as const) : 1,
    gainDb: -12 + 18 * random(),
    bandLimit: random() < 0.5,
    noise: random() < 0.6 ? { kind: pick(['white', 'pink', 'babble'] as const), snrDb: 30 * random() } : null,
    codec: random() < 0.5 ? 'mulaw' : 'alaw',
  };
}

/** Applies a channel to 8 kHz audio; `babblePool` supplies other talkers for babble noise. */
export function applyChannel(
  x: Float32Array,
  sr: number,
  spec: ChannelSpec,
  babblePool: Float32Array[],
  random: Random,
): Float32Array {
  let y = changeSpeed(x, sr, spec.speed);
  if (spec.bandLimit) y = bandLimit(y, sr);
  if (spec.noise) {
    const { kind, snrDb } = spec.noise;
    const noise =
      kind === 'white'
        ? whiteNoise(y.length, random)
        : kind === 'pink'
          ? pinkNoise(y.length, random)
          : babble(y.length, babblePool, 3 + Math.floor(random() * 4), random);
    y = mixAtSnr(y, noise, snrDb);
  }
  y = applyGain(y, spec.gainDb);
  return codecRoundTrip(y, spec.codec);
}
