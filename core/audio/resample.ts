// Rational-ratio polyphase resampler with a Kaiser-windowed sinc. Hand-written because it is hot
// and must match sample-for-sample between whole-signal and streaming use.
//
// Design (Nl = min(fromRate, toRate) / 2): passband edge 0.913·Nl, stopband edge 1.0·Nl (soxr HQ's
// edges, which librosa resamples with by default, so `--sr` features stay close to librosa's; no
// aliasing), -6 dB point 0.957·Nl, Kaiser design attenuation 100 dB. Output sample k sits exactly at input time k·fromRate/toRate (zero delay);
// input outside the signal counts as zero. Measured by resample.test.ts for all 20 pairs of
// 8/16/22.05/44.1/48 kHz from the response of the effective filter (recovered through the public
// API): passband ripple ≤ 0.00009 dB over 0..0.913·Nl, alias/image rejection ≥ 99.7 dB from
// 1.0·Nl; a 1 kHz sine 44.1k→8k matches the ideal 8 kHz sine at ≥ 115 dB SNR.
// Speed (one core, Node 20, loaded dev box): 48k→8k ≈ 150× real time, 8k→16k ≈ 480×.

export const PASSBAND_EDGE = 0.913;
export const STOPBAND_EDGE = 1.0;
const ATTENUATION_DB = 100;
/** Largest interpolation factor accepted: bounds the polyphase table (up × taps floats). */
const MAX_UP = 4096;
const MAX_RATE = 768_000;

interface Kernel {
  up: number;
  down: number;
  /** Input samples needed on each side of the output instant. */
  half: number;
  /** 2·half + 1 taps per phase. */
  taps: number;
  /** Phase p's taps at [p·taps, (p+1)·taps): tap m weighs input sample floor(k·down/up) - half + m. */
  coefs: Float32Array;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for β ≤ 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

function checkRate(rate: number, name: string): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE) {
    throw new RangeError(`${name} must be an integer in 1..${MAX_RATE} Hz, got ${rate}`);
  }
}

function designKernel(fromRate: number, toRate: number): Kernel {
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  if (up > MAX_UP)
    throw new RangeError(`resampling ${fromRate}→${toRate} Hz needs ${up} phases (max ${MAX_UP})`);
  // Kaiser's formulas; the transition width is relative to the lower of the two rates.
  const transition = (2 * Math.PI * (STOPBAND_EDGE - PASSBAND_EDGE)) / 2;
  const lowRateLength = (ATTENUATION_DB - 7.95) / (2.285 * transition);
  const beta = 0.1102 * (ATTENUATION_DB - 8.7);
  const stretch = Math.max(1, fromRate / toRate);
  const halfWidth = (lowRateLength / 2) * stretch; // in input samples
  const cutoff = ((PASSBAND_EDGE + STOPBAND_EDGE) / 2) * (Math.min(fromRate, toRate) / fromRate); // of input Nyquist
  const half = Math.ceil(halfWidth) + 1;
  const taps = 2 * half + 1;
  const coefs = new Float32Array(up * taps);
  const i0Beta = besselI0(beta);
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let m = 0; m < taps; m++) {
      const t = half - m + p / up; // output instant minus input sample time, in input samples
      if (Math.abs(t) >= halfWidth) continue;
      const x = Math.PI * cutoff * t;
      const sinc = x === 0 ? 1 : Math.sin(x) / x;
      const window = besselI0(beta * Math.sqrt(1 - (t / halfWidth) ** 2)) / i0Beta;
      coefs[p * taps + m] = cutoff * sinc * window;
      sum += cutoff * sinc * window;
    }
    // Unit DC gain on every phase, so a constant input gives a constant output.
    for (let m = 0; m < taps; m++) coefs[p * taps + m]! /= sum;
  }
  return { up, down, half, taps, coefs };
}

const kernels = new Map<string, Kernel>();

function kernelFor(fromRate: number, toRate: number): Kernel {
  const key = `${fromRate}:${toRate}`;
  let kernel = kernels.get(key);
  if (!kernel) {
    kernel = designKernel(fromRate, toRate);
    kernels.set(key, kernel);
  }
  return kernel;
}

/** Resamples a whole signal; output length ceil(n·toRate/fromRate), sample k at input time k·fromRate/toRate. */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  const resampler = new StreamingResampler(fromRate, toRate);
  const head = resampler.push(input);
  const tail = resampler.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * Chunked resampling: the concatenation of every push() and the final flush() equals resample() of
 * the concatenated input, sample for sample. flush() ends the stream and resets the resampler.
 * Latency: a pushed sample yields output only once about `half` later input samples have arrived.
 */
export class StreamingResampler {
  private readonly kernel: Kernel | undefined;
  /** Input samples from absolute index bufStart; the stream is preceded by `half` zeros. */
  private buf = new Float32Array(0);
  private bufStart = 0;
  private bufLen = 0;
  private received = 0;
  /** Next output index and its input position: floor(k·down/up) and (k·down) mod up. */
  private k = 0;
  private i = 0;
  private p = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    checkRate(fromRate, 'fromRate');
    checkRate(toRate, 'toRate');
    this.kernel = fromRate === toRate ? undefined : kernelFor(fromRate, toRate);
    this.reset();
  }

  push(chunk: Float32Array): Float32Array {
    const kernel = this.kernel;
    if (!kernel) return chunk.slice();
    this.append(chunk);
    this.received += chunk.length;
    // Output k is ready once input floor(k·down/up) + half has arrived.
    const ready = Math.ceil(((this.received - kernel.half) * kernel.up) / kernel.down);
    return this.produce(kernel, ready);
  }

  flush(): Float32Array {
    const kernel = this.kernel;
    if (!kernel) return new Float32Array(0);
    this.append(new Float32Array(kernel.taps)); // zeros after the end of the signal
    const out = this.produce(kernel, Math.ceil((this.received * kernel.up) / kernel.down));
    this.reset();
    return out;
  }

  private reset(): void {
    const half = this.kernel?.half ?? 0;
    this.buf = new Float32Array(Math.max(4 * half, 1024));
    this.bufStart = -half;
    this.bufLen = half;
    this.received = 0;
    this.k = 0;
    this.i = 0;
    this.p = 0;
  }

  private append(chunk: Float32Array): void {
    if (this.bufLen + chunk.length > this.buf.length) {
      // Keep only what the next output still needs, growing when that plus the chunk does not fit.
      const keepFrom = Math.max(0, this.i - (this.kernel?.half ?? 0) - this.bufStart);
      const kept = this.bufLen - keepFrom;
      const needed = kept + chunk.length;
      const target = needed > this.buf.length ? new Float32Array(2 * needed) : this.buf;
      target.set(this.buf.subarray(keepFrom, this.bufLen), 0);
      this.buf = target;
      this.bufStart += keepFrom;
      this.bufLen = kept;
    }
    this.buf.set(chunk, this.bufLen);
    this.bufLen += chunk.length;
  }

  private produce(kernel: Kernel, end: number): Float32Array {
    const count = Math.max(0, end - this.k);
    const out = new Float32Array(count);
    const { up, down, half, taps, coefs } = kernel;
    const buf = this.buf;
    const step = Math.floor(down / up);
    const stepFrac = down % up;
    let i = this.i;
    let p = this.p;
    for (let o = 0; o < count; o++) {
      const c0 = p * taps;
      const x0 = i - half - this.bufStart;
      // Four partial sums: breaks the add dependency chain (about 1.5× faster in V8).
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let m = 0;
      for (; m + 3 < taps; m += 4) {
        a0 += coefs[c0 + m]! * buf[x0 + m]!;
        a1 += coefs[c0 + m + 1]! * buf[x0 + m + 1]!;
        a2 += coefs[c0 + m + 2]! * buf[x0 + m + 2]!;
        a3 += coefs[c0 + m + 3]! * buf[x0 + m + 3]!;
      }
      for (; m < taps; m++) a0 += coefs[c0 + m]! * buf[x0 + m]!;
      out[o] = a0 + a1 + (a2 + a3);
      i += step;
      p += stepFrac;
      if (p >= up) {
        p -= up;
        i++;
      }
    }
    this.k += count;
    this.i = i;
    this.p = p;
    return out;
  }
}
