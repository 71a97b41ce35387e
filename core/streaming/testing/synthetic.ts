// Deterministic synthetic speech-like signals at 8 kHz for tests and benchmarks.
import { concat, silence } from '../../audio/samples.ts';
import { seededRandom } from '../../random.ts';

export { concat, silence };

/** A harmonic tone with a wobbling pitch and syllable-like amplitude modulation. */
export function voiced(
  ms: number,
  opts: { f0?: number; amplitude?: number; seed?: number } = {},
): Float32Array {
  const n = Math.round(ms * 8);
  const f0 = opts.f0 ?? 140;
  const amp = opts.amplitude ?? 0.3;
  const seed = opts.seed ?? 1;
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / 8000;
    const f = f0 * (1 + 0.08 * Math.sin(2 * Math.PI * (2 + seed * 0.3) * t));
    phase += (2 * Math.PI * f) / 8000;
    const env = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t + seed);
    let s = 0;
    for (let h = 1; h <= 8; h++) s += Math.sin(h * phase) / h;
    out[i] = amp * env * s * 0.5;
  }
  return out;
}

/** Three harmonics of a pitch gliding around 120 Hz at a steady loudness (the model tests' input). */
export function speechLike(seconds: number): Float32Array {
  let phase = 0;
  return Float32Array.from({ length: seconds * 8000 }, (_, i) => {
    phase += (2 * Math.PI * (120 + 40 * Math.sin(i / 3000))) / 8000;
    return 0.2 * Math.sin(phase) + 0.1 * Math.sin(2 * phase) + 0.05 * Math.sin(3 * phase);
  });
}

/** Splits `x` into chunks of pseudo-random sizes in [1, maxChunk]. */
export function randomChunks(x: Float32Array, maxChunk: number, seed: number): Float32Array[] {
  const random = seededRandom(`chunks ${seed}`);
  const out: Float32Array[] = [];
  for (let o = 0; o < x.length; ) {
    const n = 1 + Math.floor(random() * maxChunk);
    out.push(x.subarray(o, o + n));
    o += n;
  }
  return out;
}
