// The emotion model as shipped: a versioned directory holding model.json (frontend config, label
// map, window, input normalisation, layer shapes, calibration temperature, training metadata) and
// weights.bin (float32 little-endian). Loading needs no network and no training code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EMOTIONS, type Emotion } from '../emotions.ts';
import type { FeatureMatrix } from '../features/matrix.ts';
import { type FrontendConfig, frameDescriptors } from './frontend.ts';
import { functionalsSize, windowFunctionals } from './functionals.ts';
import { checkMlp, type Mlp, mlpLogits, softmaxInPlace } from './mlp.ts';

export const MODEL_FORMAT = 'voicepulse-emotion-mlp/1';
/** The committed model the product scores with. */
export const COMMITTED_MODEL_VERSION = 'emotion-mlp-v1';
export const COMMITTED_MODEL_DIR = fileURLToPath(
  new URL(`../../models/${COMMITTED_MODEL_VERSION}`, import.meta.url),
);

export interface WindowConfig {
  lengthMs: number;
  hopMs: number;
}

export interface EmotionModel {
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
const manifestSchema = z.object({
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
  const dims = functionalsSize(m.frontend);
  if (m.normalization.mean.length !== dims || m.normalization.std.length !== dims)
    throw new ModelError(`normalisation has ${m.normalization.mean.length} dims, the frontend gives ${dims}`);
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
  if (offset !== weights.length)
    throw new ModelError(`weights.bin has ${weights.length - offset} unused values`);
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
  const arrays = model.members.flatMap((mlp) => mlp.layers.flatMap((l) => [l.weights, l.bias]));
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const buf = Buffer.alloc(total * 4);
  let o = 0;
  for (const a of arrays) for (const v of a) o = buf.writeFloatLE(v, o);
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
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  writeFileSync(join(dir, 'weights.bin'), buf);
}

/** Each member's logits for one window descriptor. */
export function memberLogits(model: EmotionModel, descriptor: Float32Array): Float32Array[] {
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
export function classifyDescriptor(model: EmotionModel, descriptor: Float32Array): Float32Array {
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

/** Window probabilities over precomputed frame descriptors (shared by scoring and evaluation). */
export function scoreDescriptorWindows(
  model: EmotionModel,
  lld: FeatureMatrix,
  windowMs = model.window.lengthMs,
  hopMs = model.window.hopMs,
): DescriptorWindow[] {
  if (!(windowMs > 0 && hopMs > 0))
    throw new ModelError(`window ${windowMs} ms / hop ${hopMs} ms must be positive`);
  const { frontend } = model;
  const msPerFrame = (1000 * frontend.hopLength) / frontend.sr;
  const lengthFrames = Math.max(1, Math.round(windowMs / msPerFrame));
  const hopFrames = Math.max(1, Math.round(hopMs / msPerFrame));
  return windowFrames(lld.cols, lengthFrames, hopFrames).map((frames) => ({
    frames,
    probs: classifyDescriptor(model, windowFunctionals(lld, frontend, frames[0], frames[1])),
  }));
}

/**
 * Scores mono audio at the model's sample rate (8 kHz) in windows of windowMs every hopMs
 * (defaults: the model's training window). Audio shorter than one window gets one window.
 */
export function scoreWindows(samples8k: Float32Array, opts: ScoreOptions): WindowScore[] {
  const { model } = opts;
  const { frontend } = model;
  if (samples8k.length < frontend.nFft)
    throw new ModelError(
      `audio of ${samples8k.length} samples is shorter than one ${frontend.nFft}-sample frame`,
    );
  const msPerFrame = (1000 * frontend.hopLength) / frontend.sr;
  const durationMs = (1000 * samples8k.length) / frontend.sr;
  const lld = frameDescriptors(samples8k, frontend);
  return scoreDescriptorWindows(model, lld, opts.windowMs, opts.hopMs).map(({ frames, probs }) => ({
    startMs: frames[0] * msPerFrame,
    endMs: Math.min(durationMs, frames[1] * msPerFrame),
    probs: toRecord(model, probs),
  }));
}

/** The mean of window probabilities: the utterance-level score. */
export function averageProbs(
  windows: readonly { probs: Record<Emotion, number> }[],
): Record<Emotion, number> {
  const out = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>;
  for (const w of windows) for (const e of EMOTIONS) out[e] += w.probs[e] / windows.length;
  return out;
}

function toRecord(model: EmotionModel, probs: Float32Array): Record<Emotion, number> {
  const out = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>;
  model.labels.forEach((label, i) => {
    out[label] = probs[i]!;
  });
  return out;
}
