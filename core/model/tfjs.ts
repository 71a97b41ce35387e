// The network on tfjs: inference on the wasm backend (XNNPACK, ~20× faster than hand-written
// Float32Array GEMM here) or tfjs-node's native TensorFlow, and the differentiable forward pass
// training uses. Importing this module loads tfjs but selects no backend: initTfjs (training) and
// tfjsNetwork (runtime.ts, when a runner picks a tfjs runtime) do, explicitly.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { type ExplainLayout, modelExplainLayout } from './explain.ts';
import type { EmotionModel } from './format.ts';
import {
  checkWeights,
  EPSILON,
  inputWidth,
  type Network,
  type TdnnConfig,
  TdnnError,
  type TdnnWeights,
  weightShapes,
} from './tdnn.ts';

export interface TdnnParams {
  layers: { w: tf.Tensor2D; b: tf.Tensor1D }[];
  dense: { w: tf.Tensor2D; b: tf.Tensor1D }[];
}

/** tfjs's backends for the two tfjs runtimes (runtime.ts). */
export type TfjsBackend = 'wasm' | 'tensorflow';

let wasmReady: Promise<void> | undefined;

/**
 * Selects tfjs's wasm backend on one thread, loading its .wasm binaries from the installed
 * package (no network). Idempotent. Training calls it; runners select their backend themselves.
 */
export function initTfjs(): Promise<void> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    setWasmPaths(`${dist}/`);
    setThreadsCount(1);
    await selectBackend('wasm');
  })();
  return wasmReady;
}

/** Makes `backend` tfjs's current one: tfjs's backend is global to the thread. */
async function selectBackend(backend: TfjsBackend): Promise<void> {
  if (tf.getBackend() === backend) return;
  if (!(await tf.setBackend(backend)))
    throw new TdnnError('BACKEND_FAILED', `tfjs backend '${backend}' failed to initialise`);
  await tf.ready();
}

/**
 * `model`'s network on a tfjs backend (tfjs-node must have been imported for 'tensorflow'). Each run
 * selects the backend again, since something else on the thread (training) may have switched it.
 */
export async function tfjsNetwork(model: EmotionModel, backend: TfjsBackend): Promise<Network> {
  if (backend === 'wasm') await initTfjs();
  else await selectBackend(backend);
  const { network: cfg, temperature } = model;
  const members = model.members.map((weights) => weightTensors(cfg, weights));
  const width = inputWidth(cfg);
  const layout = modelExplainLayout(model);
  return {
    async run(x, batch) {
      await selectBackend(backend);
      return tf.tidy(() => {
        const input = tf.tensor3d(x, [batch, cfg.frames, width]);
        const each = members.map((params) => tf.softmax(tf.div(tdnnLogits(cfg, params, input), temperature)));
        return (each.length === 1 ? each[0]! : tf.mean(tf.stack(each), 0)).dataSync() as Float32Array;
      });
    },
    async explain(x, batch) {
      await selectBackend(backend);
      return tf.tidy(() => {
        const input = tf.tensor3d(x, [batch, cfg.frames, width]);
        const probs: tf.Tensor[] = [];
        const occluded: tf.Tensor[] = [];
        for (const params of members) {
          const h = tdnnFrames(cfg, params, input);
          probs.push(tf.softmax(tf.div(tdnnHead(params, statsPooling(h)), temperature)));
          occluded.push(tf.softmax(tf.div(tdnnHead(params, occludedPooling(h, layout)), temperature)));
        }
        const mean = (each: tf.Tensor[]) =>
          (each.length === 1 ? each[0]! : tf.mean(tf.stack(each), 0)).dataSync() as Float32Array;
        return { probs: mean(probs), occluded: mean(occluded) };
      });
    },
    async release() {
      for (const params of members)
        for (const p of [...params.layers, ...params.dense]) tf.dispose([p.w, p.b]);
    },
  };
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
  return tdnnHead(params, statsPooling(tdnnFrames(cfg, params, x, dropout)), dropout);
}

/** The frame-level layers: embeddings [batch, outputFrames, channels] of x (see tdnnLogits). */
export function tdnnFrames(
  cfg: TdnnConfig,
  params: TdnnParams,
  x: tf.Tensor3D,
  dropout?: DropoutSpec,
): tf.Tensor3D {
  let h = x;
  cfg.layers.forEach((l, i) => {
    const [b, t, c] = h.shape;
    const tOut = t - (l.context - 1) * l.dilation;
    const taps = Array.from({ length: l.context }, (_, k) =>
      tf.slice(h, [0, k * l.dilation, 0], [b, tOut, c]),
    );
    const stacked = l.context === 1 ? h : tf.concat(taps, 2);
    const y = dense(stacked.reshape([b * tOut, l.context * c]), params.layers[i]!, true, dropout);
    h = layerNorm(y.reshape([b, tOut, l.channels]));
  });
  return h;
}

/** Mean and standard deviation over time of h [batch, time, channels]: [batch, 2·channels]. */
export function statsPooling(h: tf.Tensor3D): tf.Tensor2D {
  const mean = tf.mean(h, 1);
  const std = tf.sqrt(tf.add(tf.relu(tf.sub(tf.mean(tf.square(h), 1), tf.square(mean))), EPSILON));
  return tf.concat([mean, std], 1) as tf.Tensor2D;
}

/** The dense layers over pooled statistics z [rows, 2·channels]: logits [rows, classes]. */
export function tdnnHead(params: TdnnParams, pooled: tf.Tensor2D, dropout?: DropoutSpec): tf.Tensor2D {
  let z = pooled;
  params.dense.forEach((p, i) => {
    if (dropout) z = tf.dropout(z, dropout.rate, undefined, dropout.seed + i) as tf.Tensor2D;
    z = dense(z, p, i < params.dense.length - 1, dropout);
  });
  return z;
}

/**
 * Leave-one-segment-out pooled statistics of h [batch, time, channels] (explain.ts): [batch ·
 * segments, 2·channels], segment-major within each window.
 */
function occludedPooling(h: tf.Tensor3D, layout: ExplainLayout): tf.Tensor2D {
  const [batch, time, channels] = h.shape;
  const m = tf.tensor2d(layout.membership, [layout.segments, time]);
  const rest = tf.tensor2d(
    layout.counts.map((c) => time - c),
    [layout.segments, 1],
  );
  const leaveOut = (x: tf.Tensor3D) => {
    const flat = x.transpose([1, 0, 2]).reshape([time, batch * channels]);
    const segments = tf.matMul(m, flat).reshape([layout.segments, batch, channels]).transpose([1, 0, 2]);
    return tf.div(tf.sub(tf.sum(x, 1, true), segments), rest.reshape([1, layout.segments, 1]));
  };
  const mean = leaveOut(h);
  const variance = tf.relu(tf.sub(leaveOut(tf.square(h)), tf.square(mean)));
  const std = tf.sqrt(tf.add(variance, EPSILON));
  return tf.concat([mean, std], 2).reshape([batch * layout.segments, 2 * channels]);
}

/** x·w + b, ReLU'd if asked: one fused XNNPACK call at inference, explicit-gradient matMul in training. */
function dense(
  z: tf.Tensor2D,
  p: { w: tf.Tensor2D; b: tf.Tensor1D },
  relu: boolean,
  dropout: DropoutSpec | undefined,
): tf.Tensor2D {
  if (!dropout)
    return tf.fused.matMul({ a: z, b: p.w, bias: p.b, activation: relu ? 'relu' : 'linear' }) as tf.Tensor2D;
  const y = tf.add(matMul(z, p.w), p.b) as tf.Tensor2D;
  return relu ? (tf.relu(y) as tf.Tensor2D) : y;
}

/**
 * Per-frame normalisation over channels (no learned gain: the next layer's weights absorb it).
 * Without it training converges several times slower and validation swings by ±10 points.
 */
function layerNorm(h: tf.Tensor3D): tf.Tensor3D {
  const { mean, variance } = tf.moments(h, 2, true);
  return tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, EPSILON))) as tf.Tensor3D;
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

export { tf };
