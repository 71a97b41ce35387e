// The emotion model as shipped: a versioned directory holding model.json (format, frontend config,
// label map, window, input normalisation, layer shapes, calibration temperature, training metadata)
// and weights.bin (float32 little-endian). Two formats: an MLP ensemble over window functionals,
// and a frame-level TDNN over log-mel frames. Scoring here is synchronous on tfjs wasm (training and
// evaluation use it); the product scores through runtime.ts, which picks a faster runtime where one
// loads. Loading needs no network and no training code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EMOTIONS, type Emotion } from '../emotions.ts';
import type { FeatureConfig } from '../features/config.ts';
import { logMelSpectrogram } from '../features/logmel.ts';
import type { FeatureMatrix } from '../features/matrix.ts';
import { type FrontendConfig, frameDescriptors, melProsody } from './frontend.ts';
import { functionalsSize, windowFunctionals } from './functionals.ts';
import { checkMlp, type Mlp, mlpLogits, softmaxInPlace } from './mlp.ts';
import {
  checkWeights,
  initTfjs,
  inputWidth,
  type TdnnConfig,
  type TdnnParams,
  type TdnnWeights,
  tdnnLogits,
  tf,
  weightShapes,
  weightTensors,
  windowInput,
} from './tdnn.ts';

// The synchronous scoring below (training, evaluation) needs the wasm backend ready once this module is.
await initTfjs();

export const MODEL_FORMAT = 'voicepulse-emotion-mlp/1';
export const TDNN_MODEL_FORMAT = 'voicepulse-emotion-tdnn/1';
/** The committed model the product scores with. */
export const COMMITTED_MODEL_VERSION = 'emotion-tdnn-v4';
export const COMMITTED_MODEL_DIR = fileURLToPath(
  new URL(`../../models/${COMMITTED_MODEL_VERSION}`, import.meta.url),
);

export interface WindowConfig {
  lengthMs: number;
  hopMs: number;
}

/** An ensemble of MLPs over window functionals. */
export interface MlpModel {
  version: string;
  labels: readonly Emotion[];
  frontend: FrontendConfig;
  window: WindowConfig;
  /** Per-dimension mean and standard deviation of the training window descriptors. */
  mean: Float32Array;
  std: Float32Array;
  /** Softmax temperature fitted on the validation speakers. */
  temperature: number;
  /** Ensemble members; their probabilities are averaged. */
  members: Mlp[];
  /** Training and evaluation record, kept as written. */
  metadata: Record<string, unknown>;
}

/**
 * A TDNN over each window's log-mel frames (and prosody, see TdnnConfig.prosody): one network, or
 * an ensemble of networks of the same shape whose probabilities are averaged.
 */
export interface TdnnModel {
  version: string;
  labels: readonly Emotion[];
  /**
   * Log-mel configuration (the network reads its first network.nMels rows); a prosody network
   * reads frame descriptors and needs the pitch tracker's stride too.
   */
  frontend: FeatureConfig & { pitchStride?: number };
  window: WindowConfig;
  network: TdnnConfig;
  /** Per-band spread of the mean-normalised training windows (see windowInput). */
  scale: Float32Array;
  /** Softmax temperature, applied to every member's logits. */
  temperature: number;
  /** One network's weights per ensemble member (at least one). */
  members: TdnnWeights[];
  metadata: Record<string, unknown>;
}

export type EmotionModel = MlpModel | TdnnModel;

export function isTdnn(model: EmotionModel): model is TdnnModel {
  return 'network' in model;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

const layerSchema = z.object({ inputs: z.number().int().positive(), outputs: z.number().int().positive() });
const frontendSchema = z.object({
  sr: z.number().positive(),
  nFft: z.number().int().positive(),
  winLength: z.number().int().positive(),
  hopLength: z.number().int().positive(),
  center: z.boolean(),
  nMels: z.number().int().positive(),
  fmin: z.number().nonnegative(),
  fmax: z.number().positive(),
  htk: z.boolean(),
  norm: z.literal('slaney').nullable(),
  ref: z.number().positive(),
  amin: z.number().positive(),
  topDb: z.null(),
  nMfcc: z.number().int().positive(),
  lifter: z.number().nonnegative(),
  pitchStride: z.number().int().positive(),
});
const mlpManifestSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.string().min(1),
  labels: z.array(z.enum(EMOTIONS)).min(2),
  frontend: frontendSchema,
  window: z.object({ lengthMs: z.number().positive(), hopMs: z.number().positive() }),
  normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number().positive()) }),
  temperature: z.number().positive(),
  members: z.array(z.object({ layers: z.array(layerSchema).min(1) })).min(1),
  metadata: z.record(z.string(), z.unknown()),
});
const positiveInt = z.number().int().positive();
const tdnnManifestSchema = z.object({
  format: z.literal(TDNN_MODEL_FORMAT),
  version: z.string().min(1),
  labels: z.array(z.enum(EMOTIONS)).min(2),
  frontend: frontendSchema.partial({ pitchStride: true }),
  window: z.object({ lengthMs: z.number().positive(), hopMs: z.number().positive() }),
  network: z.object({
    nMels: positiveInt,
    prosody: z.boolean().optional(),
    pool: positiveInt,
    frames: positiveInt,
    layers: z.array(z.object({ context: positiveInt, dilation: positiveInt, channels: positiveInt })).min(1),
    dense: z.array(positiveInt),
    classes: positiveInt,
  }),
  scale: z.array(z.number().positive()),
  temperature: z.number().positive(),
  /** Ensemble members stored one after another in weights.bin (absent: one network). */
  members: positiveInt.optional(),
  metadata: z.record(z.string(), z.unknown()),
});
const manifestSchema = z.discriminatedUnion('format', [mlpManifestSchema, tdnnManifestSchema]);

/** Loads a model directory (model.json + weights.bin), validating every shape. */
export function loadModel(dir: string = COMMITTED_MODEL_DIR): EmotionModel {
  let manifestJson: unknown;
  let bytes: Buffer;
  try {
    manifestJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    bytes = readFileSync(join(dir, 'weights.bin'));
  } catch (err) {
    throw new ModelError(`cannot read model directory ${dir}: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(manifestJson);
  if (!parsed.success) throw new ModelError(`invalid model.json in ${dir}: ${parsed.error.message}`);
  const m = parsed.data;
  const weights = new Float32Array(bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < weights.length; i++) weights[i] = view.getFloat32(4 * i, true);
  let offset = 0;
  const take = (n: number) => {
    if (offset + n > weights.length)
      throw new ModelError(`weights.bin is too short for the layers in model.json`);
    const out = weights.slice(offset, offset + n);
    offset += n;
    return out;
  };
  const model = m.format === MODEL_FORMAT ? mlpFromManifest(m, take, dir) : tdnnFromManifest(m, take, dir);
  if (offset !== weights.length)
    throw new ModelError(`weights.bin has ${weights.length - offset} unused values`);
  return model;
}

function tdnnFromManifest(
  m: z.infer<typeof tdnnManifestSchema>,
  take: (n: number) => Float32Array,
  dir: string,
): TdnnModel {
  if (m.network.classes !== m.labels.length)
    throw new ModelError(`the network gives ${m.network.classes} classes for ${m.labels.length} labels`);
  if (m.network.nMels > m.frontend.nMels || m.scale.length !== inputWidth(m.network))
    throw new ModelError(
      `the network reads ${inputWidth(m.network)} channels (${m.network.nMels} mel bands) with ${m.scale.length} scales`,
    );
  if (m.network.prosody && m.frontend.pitchStride === undefined)
    throw new ModelError(`a prosody network needs frontend.pitchStride`);
  const members = Array.from({ length: m.members ?? 1 }, () => {
    const arrays = weightShapes(m.network).map(({ w, b }) => ({ w: take(w[0] * w[1]), b: take(b) }));
    const weights = {
      layers: arrays.slice(0, m.network.layers.length),
      dense: arrays.slice(m.network.layers.length),
    };
    try {
      checkWeights(m.network, weights);
    } catch (err) {
      throw new ModelError(`invalid layers in ${dir}: ${(err as Error).message}`);
    }
    return weights;
  });
  return {
    version: m.version,
    labels: m.labels,
    frontend: m.frontend,
    window: m.window,
    network: m.network,
    scale: Float32Array.from(m.scale),
    temperature: m.temperature,
    members,
    metadata: m.metadata,
  };
}

function mlpFromManifest(
  m: z.infer<typeof mlpManifestSchema>,
  take: (n: number) => Float32Array,
  dir: string,
): MlpModel {
  const dims = functionalsSize(m.frontend);
  if (m.normalization.mean.length !== dims || m.normalization.std.length !== dims)
    throw new ModelError(`normalisation has ${m.normalization.mean.length} dims, the frontend gives ${dims}`);
  const members = m.members.map((member) => {
    const mlp: Mlp = {
      layers: member.layers.map((l) => ({
        ...l,
        weights: take(l.inputs * l.outputs),
        bias: take(l.outputs),
      })),
    };
    try {
      checkMlp(mlp);
    } catch (err) {
      throw new ModelError(`invalid layers in ${dir}: ${(err as Error).message}`);
    }
    if (mlp.layers[0]!.inputs !== dims || mlp.layers.at(-1)!.outputs !== m.labels.length)
      throw new ModelError(
        `a member maps ${mlp.layers[0]!.inputs} inputs to ${mlp.layers.at(-1)!.outputs} classes`,
      );
    return mlp;
  });
  return {
    version: m.version,
    labels: m.labels,
    frontend: m.frontend,
    window: m.window,
    mean: Float32Array.from(m.normalization.mean),
    std: Float32Array.from(m.normalization.std),
    temperature: m.temperature,
    members,
    metadata: m.metadata,
  };
}

/** Writes `model` as a model directory. */
export function saveModel(model: EmotionModel, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const { manifest, arrays } = isTdnn(model) ? tdnnManifest(model) : mlpManifest(model);
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const buf = Buffer.alloc(total * 4);
  let o = 0;
  for (const a of arrays) for (const v of a) o = buf.writeFloatLE(v, o);
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  writeFileSync(join(dir, 'weights.bin'), buf);
}

function tdnnManifest(model: TdnnModel) {
  const manifest = {
    format: TDNN_MODEL_FORMAT,
    version: model.version,
    labels: model.labels,
    frontend: model.frontend,
    window: model.window,
    network: model.network,
    scale: Array.from(model.scale),
    temperature: model.temperature,
    members: model.members.length,
    metadata: model.metadata,
  };
  return {
    manifest,
    arrays: model.members.flatMap(({ layers, dense }) => [...layers, ...dense].flatMap((p) => [p.w, p.b])),
  };
}

function mlpManifest(model: MlpModel) {
  const manifest = {
    format: MODEL_FORMAT,
    version: model.version,
    labels: model.labels,
    frontend: model.frontend,
    window: model.window,
    normalization: { mean: Array.from(model.mean), std: Array.from(model.std) },
    temperature: model.temperature,
    members: model.members.map((mlp) => ({
      layers: mlp.layers.map(({ inputs, outputs }) => ({ inputs, outputs })),
    })),
    metadata: model.metadata,
  };
  return { manifest, arrays: model.members.flatMap((mlp) => mlp.layers.flatMap((l) => [l.weights, l.bias])) };
}

/** Each member's logits for one window descriptor. */
export function memberLogits(model: MlpModel, descriptor: Float32Array): Float32Array[] {
  const x = new Float32Array(descriptor.length);
  for (let i = 0; i < x.length; i++) x[i] = (descriptor[i]! - model.mean[i]!) / model.std[i]!;
  return model.members.map((mlp) => mlpLogits(mlp, x));
}

/** The ensemble's probabilities: the mean of each member's softmax(logits / temperature). */
export function ensembleProbs(logits: Float32Array[], temperature: number): Float32Array {
  const probs = new Float32Array(logits[0]!.length);
  for (const l of logits) {
    const p = softmaxInPlace(l.slice(), temperature);
    for (let c = 0; c < probs.length; c++) probs[c]! += p[c]! / logits.length;
  }
  return probs;
}

/** Class probabilities (in model.labels order) for one window descriptor. */
export function classifyDescriptor(model: MlpModel, descriptor: Float32Array): Float32Array {
  return ensembleProbs(memberLogits(model, descriptor), model.temperature);
}

/**
 * Frame ranges [start, end) of the windows covering `cols` frames; a tail longer than half a hop
 * that regular hops leave uncovered gets one more window aligned to the end.
 */
export function windowFrames(cols: number, lengthFrames: number, hopFrames: number): Array<[number, number]> {
  if (cols <= lengthFrames) return [[0, cols]];
  const out: Array<[number, number]> = [];
  let start = 0;
  for (; start + lengthFrames <= cols; start += hopFrames) out.push([start, start + lengthFrames]);
  if (cols - out.at(-1)![1] > hopFrames / 2) out.push([cols - lengthFrames, cols]);
  return out;
}

export interface WindowScore {
  startMs: number;
  endMs: number;
  probs: Record<Emotion, number>;
}

export interface ScoreOptions {
  model: EmotionModel;
  windowMs?: number;
  hopMs?: number;
}

export interface DescriptorWindow {
  /** Frame range [start, end) of the window. */
  frames: [number, number];
  /** Class probabilities in model.labels order. */
  probs: Float32Array;
}

function windowRanges(model: EmotionModel, cols: number, windowMs: number, hopMs: number) {
  if (!(windowMs > 0 && hopMs > 0))
    throw new ModelError(`window ${windowMs} ms / hop ${hopMs} ms must be positive`);
  const msPerFrame = (1000 * model.frontend.hopLength) / model.frontend.sr;
  const lengthFrames = Math.max(1, Math.round(windowMs / msPerFrame));
  const hopFrames = Math.max(1, Math.round(hopMs / msPerFrame));
  return windowFrames(cols, lengthFrames, hopFrames);
}

/**
 * The frame features a model's windows are scored from: frame descriptors (frontend.ts) for the
 * MLP, log-mel + prosody rows for the prosody TDNN, log-mel for the log-mel TDNN. Descriptors work
 * for every model (their first rows are the log-mel bands, their last three the prosody rows).
 */
export function modelFeatures(model: EmotionModel, samples8k: Float32Array): FeatureMatrix {
  checkLength(model, samples8k);
  if (!isTdnn(model)) return frameDescriptors(samples8k, model.frontend);
  const { pitchStride } = model.frontend;
  return model.network.prosody && pitchStride !== undefined
    ? melProsody(samples8k, { ...model.frontend, pitchStride })
    : logMelSpectrogram(samples8k, model.frontend);
}

/**
 * Each window's model input over precomputed frame features: its window descriptor (MLP) or its
 * network input (TDNN, see windowInput). Shared by the synchronous scoring below and runtime.ts.
 */
export function featureWindowInputs(
  model: EmotionModel,
  features: FeatureMatrix,
  windowMs = model.window.lengthMs,
  hopMs = model.window.hopMs,
): { frames: Array<[number, number]>; inputs: Float32Array[] } {
  const frames = windowRanges(model, features.cols, windowMs, hopMs);
  return { frames, inputs: frames.map(([s, e]) => windowModelInput(model, features, s, e)) };
}

/** The model input of each window of 8 kHz samples, each window scored as one unit. */
export function sampleWindowInputs(model: EmotionModel, windows: readonly Float32Array[]): Float32Array[] {
  return windows.map((samples) => {
    const features = modelFeatures(model, samples);
    return windowModelInput(model, features, 0, features.cols);
  });
}

function windowModelInput(model: EmotionModel, features: FeatureMatrix, start: number, end: number) {
  return isTdnn(model)
    ? windowInput(features, start, end, model.network, model.scale)
    : windowFunctionals(features, model.frontend, start, end);
}

/** Each member's weights as tfjs tensors, made on first use. */
const tdnnParams = new WeakMap<TdnnModel, TdnnParams[]>();

/** Most windows per network call: bounds activation memory when a long file is scored at once. */
export const NETWORK_BATCH = 32;

/** Frees the tfjs memory holding a TDNN model's weights (they are re-created on next use). */
export function releaseModel(model: EmotionModel): void {
  if (!isTdnn(model)) return;
  for (const params of tdnnParams.get(model) ?? [])
    for (const p of [...params.layers, ...params.dense]) tf.dispose([p.w, p.b]);
  tdnnParams.delete(model);
}

/**
 * Class probabilities (model.labels order) of model inputs, synchronously: the MLP ensemble in
 * TypeScript, the TDNN on tfjs's current backend (wasm unless runtime.ts switched to tfjs-node).
 */
export function inputProbs(model: EmotionModel, inputs: readonly Float32Array[]): Float32Array[] {
  if (!isTdnn(model)) return inputs.map((d) => classifyDescriptor(model, d));
  let members = tdnnParams.get(model);
  if (!members) {
    members = model.members.map((weights) => weightTensors(model.network, weights));
    tdnnParams.set(model, members);
  }
  const { frames, classes } = model.network;
  const width = inputWidth(model.network);
  const out: Float32Array[] = [];
  for (let b = 0; b < inputs.length; b += NETWORK_BATCH) {
    const chunk = inputs.slice(b, b + NETWORK_BATCH);
    const data = new Float32Array(chunk.length * frames * width);
    chunk.forEach((x, i) => {
      data.set(x, i * frames * width);
    });
    const probs = tf.tidy(() => {
      const x = tf.tensor3d(data, [chunk.length, frames, width]);
      const each = members.map((params) =>
        tf.softmax(tf.div(tdnnLogits(model.network, params, x), model.temperature)),
      );
      return (each.length === 1 ? each[0]! : tf.mean(tf.stack(each), 0)).dataSync() as Float32Array;
    });
    for (let i = 0; i < chunk.length; i++) out.push(probs.slice(i * classes, (i + 1) * classes));
  }
  return out;
}

/** Window probabilities over precomputed frame features (shared by scoring and evaluation). */
export function scoreFeatureWindows(
  model: EmotionModel,
  features: FeatureMatrix,
  windowMs = model.window.lengthMs,
  hopMs = model.window.hopMs,
): DescriptorWindow[] {
  const { frames, inputs } = featureWindowInputs(model, features, windowMs, hopMs);
  const probs = inputProbs(model, inputs);
  return frames.map((f, i) => ({ frames: f, probs: probs[i]! }));
}

/** Class probabilities (model.labels order) of each window of 8 kHz samples, scored as one unit. */
export function classifyWindows(model: EmotionModel, windows: readonly Float32Array[]): Float32Array[] {
  return inputProbs(model, sampleWindowInputs(model, windows));
}

/** One line naming the model's architecture and the runtime running it, for logs and benchmarks. */
export function describeModel(model: EmotionModel, runtime = 'tfjs-wasm'): string {
  if (isTdnn(model)) {
    const n = model.network;
    const ensemble = model.members.length > 1 ? `, ${model.members.length} networks averaged` : '';
    return `model ${model.version}: TDNN over ${n.nMels} log-mel bands${n.prosody ? ' + energy, F0, voicing' : ''} (${n.layers.map((l) => `${l.context}×${l.channels}`).join(', ')}; statistics pooling; dense ${n.dense.join('-')})${ensemble}, ${runtime}`;
  }
  return `model ${model.version}: ${model.members.length} MLP members, ${model.mean.length}-dim window descriptor, TypeScript`;
}

function checkLength(model: EmotionModel, samples8k: Float32Array): void {
  if (samples8k.length < model.frontend.nFft)
    throw new ModelError(
      `audio of ${samples8k.length} samples is shorter than one ${model.frontend.nFft}-sample frame`,
    );
}

/** Window scores of `samples` 8 kHz samples from each window's frame range and probabilities. */
export function windowScores(
  model: EmotionModel,
  samples: number,
  frames: readonly [number, number][],
  probs: readonly Float32Array[],
): WindowScore[] {
  const { frontend } = model;
  const msPerFrame = (1000 * frontend.hopLength) / frontend.sr;
  const durationMs = (1000 * samples) / frontend.sr;
  return frames.map((f, i) => ({
    startMs: f[0] * msPerFrame,
    endMs: Math.min(durationMs, f[1] * msPerFrame),
    probs: probsRecord(model, probs[i]!),
  }));
}

/**
 * Scores mono audio at the model's sample rate (8 kHz) in windows of windowMs every hopMs
 * (defaults: the model's training window). Audio shorter than one window gets one window.
 * Synchronous, on tfjs (training, the model card); the product scores through runtime.ts.
 */
export function scoreWindows(samples8k: Float32Array, opts: ScoreOptions): WindowScore[] {
  const { model } = opts;
  const { frames, inputs } = featureWindowInputs(
    model,
    modelFeatures(model, samples8k),
    opts.windowMs,
    opts.hopMs,
  );
  return windowScores(model, samples8k.length, frames, inputProbs(model, inputs));
}

/** The mean of window probabilities: the utterance-level score. */
export function averageProbs(
  windows: readonly { probs: Record<Emotion, number> }[],
): Record<Emotion, number> {
  const out = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>;
  for (const w of windows) for (const e of EMOTIONS) out[e] += w.probs[e] / windows.length;
  return out;
}

/** Class probabilities (model.labels order) as a record over the six emotions. */
export function probsRecord(model: EmotionModel, probs: Float32Array): Record<Emotion, number> {
  const out = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>;
  // Clamp float32 rounding so consumers' [0, 1] bounds (the event schema's) always hold.
  model.labels.forEach((label, i) => {
    out[label] = Math.min(1, Math.max(0, probs[i]!));
  });
  return out;
}
