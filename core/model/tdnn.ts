// Frame-level emotion network: a TDNN (time-delay layers = dilated 1-D convolutions over log-mel
// frames) with statistics pooling and dense layers, run on tfjs's wasm backend (XNNPACK), which is
// ~20× faster than hand-written Float32Array GEMM here (measured in docs/model-card.md).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { FeatureMatrix } from '../features/matrix.ts';

export interface TdnnLayerSpec {
  /** Frames stacked per output frame (kernel size). */
  context: number;
  /** Spacing between the stacked frames. */
  dilation: number;
  channels: number;
}

export interface TdnnConfig {
  nMels: number;
  /**
   * Per-frame prosody channels after the mel bands (frame energy and F0, each relative to the
   * window, and voicing strength), read from frame descriptors (frontend.ts). Absent: log-mel only.
   */
  prosody?: boolean;
  /** Adjacent 10 ms frames averaged into one network frame. */
  pool: number;
  /** Network frames per window (after pooling); shorter windows are tiled up to it. */
  frames: number;
  layers: TdnnLayerSpec[];
  /** Hidden dense widths after statistics pooling. */
  dense: number[];
  classes: number;
}

/** Weights as plain arrays: per TDNN layer w [inputs, context·channels] (tap-major columns), b [channels]. */
export interface TdnnWeights {
  layers: { w: Float32Array; b: Float32Array }[];
  dense: { w: Float32Array; b: Float32Array }[];
}

export interface TdnnParams {
  layers: { w: tf.Tensor2D; b: tf.Tensor1D }[];
  dense: { w: tf.Tensor2D; b: tf.Tensor1D }[];
}

export class TdnnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TdnnError';
  }
}

/** Frames of context each output frame sees; a window needs at least this many network frames. */
export function receptiveField(cfg: TdnnConfig): number {
  return 1 + cfg.layers.reduce((s, l) => s + (l.context - 1) * l.dilation, 0);
}

/** Prosody channels (see TdnnConfig.prosody): energy, F0, voicing. */
export const PROSODY_CHANNELS = 3;

/** Values per network frame: mel bands, then the prosody channels when configured. */
export function inputWidth(cfg: Pick<TdnnConfig, 'nMels' | 'prosody'>): number {
  return cfg.nMels + (cfg.prosody ? PROSODY_CHANNELS : 0);
}

/** [rows, cols] of every weight array in storage order (TDNN layers, then dense layers). */
export function weightShapes(cfg: TdnnConfig): { w: [number, number]; b: number }[] {
  const shapes: { w: [number, number]; b: number }[] = [];
  let inputs = inputWidth(cfg);
  for (const l of cfg.layers) {
    shapes.push({ w: [inputs, l.context * l.channels], b: l.channels });
    inputs = l.channels;
  }
  inputs *= 2; // mean and standard deviation
  for (const width of [...cfg.dense, cfg.classes]) {
    shapes.push({ w: [inputs, width], b: width });
    inputs = width;
  }
  return shapes;
}

export function checkWeights(cfg: TdnnConfig, weights: TdnnWeights): void {
  const shapes = weightShapes(cfg);
  const all = [...weights.layers, ...weights.dense];
  if (all.length !== shapes.length || weights.layers.length !== cfg.layers.length)
    throw new TdnnError(`expected ${shapes.length} weight layers, got ${all.length}`);
  all.forEach((p, i) => {
    const s = shapes[i]!;
    if (p.w.length !== s.w[0] * s.w[1] || p.b.length !== s.b)
      throw new TdnnError(`layer ${i}: weights do not match ${s.w[0]}x${s.w[1]} + ${s.b}`);
  });
}

/**
 * The network input of one window: mel rows [0, nMels) of `features` over frames [start, end),
 * `pool` frames averaged, each band's mean over the window removed (per-window cepstral-style
 * mean normalisation: gain and channel colouring cancel), divided by `scale` (per-channel spread of
 * the training windows), tiled to cfg.frames. With cfg.prosody, `features` are frame descriptors whose last three rows are energy
 * (dB), F0 (semitones, 0 unvoiced) and voicing (frontend.ts descriptorRows); they become channels
 * nMels.. : energy minus its window mean, F0 minus the mean of the window's voiced frames (0 where
 * unvoiced), voicing as is. Returns [frames][inputWidth] row-major.
 */
export function windowInput(
  features: FeatureMatrix,
  start: number,
  end: number,
  cfg: TdnnConfig,
  scale: Float32Array,
): Float32Array {
  const { nMels, pool, frames } = cfg;
  const width = inputWidth(cfg);
  if (features.rows < width) throw new TdnnError(`need ${width} feature rows, got ${features.rows}`);
  if (!(start >= 0 && end <= features.cols && end - start >= pool))
    throw new TdnnError(`window [${start}, ${end}) does not fit ${features.cols} frames`);
  const n = Math.min(frames, Math.floor((end - start) / pool));
  const out = new Float32Array(frames * width);
  const cols = features.cols;
  /** Pools row `r` into channel `ch`; returns the pooled values' sum. */
  const pooled = (r: number, ch: number) => {
    const row = r * cols + start;
    let sum = 0;
    for (let t = 0; t < n; t++) {
      let v = 0;
      for (let k = 0; k < pool; k++) v += features.data[row + t * pool + k]!;
      v /= pool;
      out[t * width + ch] = v;
      sum += v;
    }
    return sum;
  };
  const shift = (ch: number, mean: number) => {
    const s = 1 / scale[ch]!;
    for (let t = 0; t < n; t++) out[t * width + ch] = (out[t * width + ch]! - mean) * s;
  };
  for (let m = 0; m < nMels; m++) shift(m, pooled(m, m) / n);
  if (cfg.prosody) {
    const energy = features.rows - 3;
    shift(nMels, pooled(energy, nMels) / n);
    pooledF0(features, features.rows - 2, start, n, pool, out, width, nMels + 1, scale[nMels + 1]!);
    pooled(features.rows - 1, nMels + 2);
    shift(nMels + 2, 0);
  }
  // Tiling keeps the statistics the pooling layer sees close to the short window's own.
  for (let t = n; t < frames; t++) out.copyWithin(t * width, (t % n) * width, (t % n) * width + width);
  return out;
}

/** F0 channel: per pooled frame the mean of its voiced frames, minus the window's voiced mean; 0 unvoiced. */
function pooledF0(
  features: FeatureMatrix,
  r: number,
  start: number,
  n: number,
  pool: number,
  out: Float32Array,
  width: number,
  ch: number,
  scale: number,
): void {
  const row = r * features.cols + start;
  const f0 = new Float32Array(n);
  let sum = 0;
  let voiced = 0;
  for (let t = 0; t < n; t++) {
    let v = 0;
    let k = 0;
    for (let j = 0; j < pool; j++) {
      const x = features.data[row + t * pool + j]!;
      if (x > 0) {
        v += x;
        k++;
      }
    }
    if (k > 0) {
      f0[t] = v / k;
      sum += v / k;
      voiced++;
    }
  }
  const mean = voiced > 0 ? sum / voiced : 0;
  for (let t = 0; t < n; t++) out[t * width + ch] = f0[t]! > 0 ? (f0[t]! - mean) / scale : 0;
}

/** x·w whose gradient transposes explicitly: wasm's transposed matMul kernel is ~70× slower. */
export const matMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(sb!)),
        tf.matMul(tf.transpose(sa!), dy as tf.Tensor2D),
      ];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

export interface DropoutSpec {
  rate: number;
  /** Seed for this step's masks (tfjs draws them). */
  seed: number;
}

/**
 * Logits [batch, classes] of x [batch, cfg.frames, inputWidth]. With `dropout` (training) every
 * matMul is the explicit-transpose one, so gradients stay on fast kernels; without it (inference)
 * matMul, bias and ReLU are one fused XNNPACK call. Each TDNN layer stacks its `context` shifted
 * frames side by side and multiplies once by the unfolded weights (params from weightTensors):
 * ~45 % faster than multiplying every frame by all taps and summing shifted slices (measured).
 */
export function tdnnLogits(
  cfg: TdnnConfig,
  params: TdnnParams,
  x: tf.Tensor3D,
  dropout?: DropoutSpec,
): tf.Tensor2D {
  const dense = (z: tf.Tensor2D, p: { w: tf.Tensor2D; b: tf.Tensor1D }, relu: boolean): tf.Tensor2D => {
    if (!dropout)
      return tf.fused.matMul({
        a: z,
        b: p.w,
        bias: p.b,
        activation: relu ? 'relu' : 'linear',
      }) as tf.Tensor2D;
    const y = tf.add(matMul(z, p.w), p.b) as tf.Tensor2D;
    return relu ? (tf.relu(y) as tf.Tensor2D) : y;
  };
  let h = x;
  cfg.layers.forEach((l, i) => {
    const [b, t, c] = h.shape;
    const tOut = t - (l.context - 1) * l.dilation;
    const taps = Array.from({ length: l.context }, (_, k) =>
      tf.slice(h, [0, k * l.dilation, 0], [b, tOut, c]),
    );
    const stacked = l.context === 1 ? h : tf.concat(taps, 2);
    const y = dense(stacked.reshape([b * tOut, l.context * c]), params.layers[i]!, true);
    h = layerNorm(y.reshape([b, tOut, l.channels]));
  });
  const mean = tf.mean(h, 1);
  const std = tf.sqrt(tf.add(tf.relu(tf.sub(tf.mean(tf.square(h), 1), tf.square(mean))), 1e-5));
  let z = tf.concat([mean, std], 1) as tf.Tensor2D;
  params.dense.forEach((p, i) => {
    if (dropout) z = tf.dropout(z, dropout.rate, undefined, dropout.seed + i) as tf.Tensor2D;
    z = dense(z, p, i < params.dense.length - 1);
  });
  return z;
}

/**
 * Per-frame normalisation over channels (no learned gain: the next layer's weights absorb it).
 * Without it training converges several times slower and validation swings by ±10 points.
 */
function layerNorm(h: tf.Tensor3D): tf.Tensor3D {
  const { mean, variance } = tf.moments(h, 2, true);
  return tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5))) as tf.Tensor3D;
}

/**
 * Tensors holding `weights` (the caller disposes them, or wraps them in tf.variable to train). A
 * TDNN layer's stored [inputs, context·channels] (tap-major columns) becomes the unfolded
 * [context·inputs, channels] that tdnnLogits multiplies.
 */
export function weightTensors(cfg: TdnnConfig, weights: TdnnWeights): TdnnParams {
  checkWeights(cfg, weights);
  const shapes = weightShapes(cfg);
  return tf.tidy(() => ({
    layers: weights.layers.map((p, i) => {
      const [inputs] = shapes[i]!.w;
      const { context, channels } = cfg.layers[i]!;
      const w = tf.tensor3d(p.w, [inputs, context, channels]).transpose([1, 0, 2]);
      return { w: w.reshape([context * inputs, channels]) as tf.Tensor2D, b: tf.tensor1d(p.b) };
    }),
    dense: weights.dense.map((p, i) => ({
      w: tf.tensor2d(p.w, shapes[i + weights.layers.length]!.w),
      b: tf.tensor1d(p.b),
    })),
  }));
}

/** The stored weights of `params` (inverse of weightTensors). */
export function readWeights(cfg: TdnnConfig, params: TdnnParams): TdnnWeights {
  const read = (w: tf.Tensor, b: tf.Tensor) => ({
    w: Float32Array.from(w.dataSync()),
    b: Float32Array.from(b.dataSync()),
  });
  return {
    layers: params.layers.map((p, i) => {
      const { context, channels } = cfg.layers[i]!;
      const inputs = p.w.shape[0] / context;
      const stored = tf.tidy(() => p.w.reshape([context, inputs, channels]).transpose([1, 0, 2]));
      const out = read(stored, p.b);
      stored.dispose();
      return out;
    }),
    dense: params.dense.map((p) => read(p.w, p.b)),
  };
}

let ready: Promise<void> | undefined;

/**
 * Selects tfjs's wasm backend on one thread, loading its .wasm binaries from the installed
 * package (no network). Idempotent.
 */
export function initTfjs(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    setWasmPaths(`${dist}/`);
    setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new TdnnError('tfjs wasm backend failed to initialise');
    await tf.ready();
  })();
  return ready;
}

export { tf };
