// The emotion model as shipped: a versioned directory holding model.json (format, frontend config,
// label map, window, network shape, input scale, calibration temperature, training metadata) and
// weights.bin (float32 little-endian, ensemble members one after another). Reading and writing it
// needs no runtime, no network and no training code; runner.ts runs what loadModel returns.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EMOTIONS, type Emotion } from '../emotions.ts';
import { VoicePulseError } from '../errors.ts';
import type { FeatureConfig } from '../features/config.ts';
import { PRIOR_CHANNELS, type SpeakerPrior } from './speaker-norm.ts';
import { inputWidth, type TdnnConfig, type TdnnWeights, weightShapes } from './tdnn.ts';

export const MODEL_FORMAT = 'voicepulse-emotion-tdnn/1';
/** The committed model the product scores with. */
export const COMMITTED_MODEL_VERSION = 'emotion-tdnn-v4';
export const COMMITTED_MODEL_DIR = fileURLToPath(
  new URL(`../../models/${COMMITTED_MODEL_VERSION}`, import.meta.url),
);

export type ModelErrorCode =
  /** model.json or weights.bin cannot be read. */
  | 'UNREADABLE'
  /** model.json is not a valid manifest, or its parts contradict each other. */
  | 'INVALID_MANIFEST'
  /** weights.bin does not hold the weights model.json describes. */
  | 'WEIGHTS_MISMATCH'
  /** Audio shorter than one analysis frame. */
  | 'AUDIO_TOO_SHORT'
  /** A window or hop that is not a positive duration. */
  | 'INVALID_WINDOW'
  /** A window scored on a model stream that was closed. */
  | 'STREAM_CLOSED';

export class ModelError extends VoicePulseError<ModelErrorCode> {}

/** The window the model was trained on: what every caller scores, live included. */
export interface WindowConfig {
  lengthMs: number;
  hopMs: number;
}

/**
 * A TDNN over each window's log-mel frames (and prosody, see TdnnConfig.prosody): one network, or
 * an ensemble of networks of the same shape whose probabilities are averaged.
 */
export interface EmotionModel {
  version: string;
  labels: readonly Emotion[];
  /**
   * Log-mel configuration (the network reads its first network.nMels rows); a prosody network
   * reads frame descriptors and needs the pitch tracker's stride too.
   */
  frontend: FeatureConfig & { pitchStride?: number };
  window: WindowConfig;
  network: TdnnConfig;
  /** Per-channel spread of the mean-normalised training windows (see windows.ts windowInput). */
  scale: Float32Array;
  /** The speaker mean a network with speaker channels starts from (speaker-norm.ts); only such a network has one. */
  speakerPrior?: SpeakerPrior;
  /** Softmax temperature, applied to every member's logits. */
  temperature: number;
  /**
   * Per-class offsets of every scored window's log-probabilities (class-offsets.ts), in labels order;
   * absent: none.
   */
  classOffsets?: Float32Array;
  /** One network's weights per ensemble member (at least one). */
  members: TdnnWeights[];
  /** Training and evaluation record, kept as written. */
  metadata: Record<string, unknown>;
  /** Activation ranges for the opt-in int8 graph (quantize.ts); absent: float runtimes only. */
  quantization?: ModelQuantization;
}

/** How the int8 graph's activation ranges were measured, and the ranges (training/quantize-model.ts). */
export interface ModelQuantization {
  /** uint8 activations, per-output-channel symmetric int8 weights, as QDQ pairs (quantize.ts). */
  scheme: typeof QUANTIZATION_SCHEME;
  /** minmax: the extremes seen; percentile: the p-th and (100 − p)-th percentiles. */
  calibration: { method: 'minmax' | 'percentile'; percentile?: number; windows: number };
  /** [lo, hi] of each activation the int8 scoring graph quantises, in quantize.ts activationPoints order. */
  ranges: [number, number][];
  /** The same for the explaining graph (onnx.ts tdnnOnnx(model, true)). */
  explainRanges: [number, number][];
}

export const QUANTIZATION_SCHEME = 'qdq-u8s8/1' as const;

const positiveInt = z.number().int().positive();
/** Largest class offset model.json may hold (natural-log units: a factor of about 150). */
export const MAX_CLASS_OFFSET = 5;
/** Activation ranges [lo, hi]: finite, holding 0 (so that an exact zero stays exact). */
const rangesSchema = z
  .array(z.tuple([z.number(), z.number()]))
  .min(1)
  .refine((rs) => rs.every(([lo, hi]) => lo <= 0 && hi >= 0 && hi > lo), 'each range [lo, hi] must hold 0');
const manifestSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.string().min(1),
  labels: z.array(z.enum(EMOTIONS)).min(2),
  frontend: z.object({
    sr: z.number().positive(),
    nFft: positiveInt,
    winLength: positiveInt,
    hopLength: positiveInt,
    center: z.boolean(),
    nMels: positiveInt,
    fmin: z.number().nonnegative(),
    fmax: z.number().positive(),
    htk: z.boolean(),
    norm: z.literal('slaney').nullable(),
    ref: z.number().positive(),
    amin: z.number().positive(),
    topDb: z.null(),
    nMfcc: positiveInt,
    lifter: z.number().nonnegative(),
    pitchStride: positiveInt.optional(),
  }),
  window: z.object({ lengthMs: z.number().positive(), hopMs: z.number().positive() }),
  network: z.object({
    nMels: positiveInt,
    prosody: z.boolean().optional(),
    speakerOffsets: z.boolean().optional(),
    meanFloorDb: z.number().positive().optional(),
    pool: positiveInt,
    frames: positiveInt,
    layers: z.array(z.object({ context: positiveInt, dilation: positiveInt, channels: positiveInt })).min(1),
    dense: z.array(positiveInt),
    classes: positiveInt,
  }),
  scale: z.array(z.number().positive()),
  speakerPrior: z
    .object({
      mean: z.array(z.number()),
      frames: z.number().nonnegative(),
      neutralGate: z.number().min(0).max(1).optional(),
    })
    .optional(),
  temperature: z.number().positive(),
  classOffsets: z.array(z.number().min(-MAX_CLASS_OFFSET).max(MAX_CLASS_OFFSET)).optional(),
  /** Ensemble members stored one after another in weights.bin (absent: one network). */
  members: positiveInt.optional(),
  metadata: z.record(z.string(), z.unknown()),
  quantization: z
    .object({
      scheme: z.literal(QUANTIZATION_SCHEME),
      calibration: z.object({
        method: z.enum(['minmax', 'percentile']),
        percentile: z.number().gt(50).lte(100).optional(),
        windows: positiveInt,
      }),
      ranges: rangesSchema,
      explainRanges: rangesSchema,
    })
    .optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** model.json of a model directory, validated (the weights are not read). */
export function readManifest(dir: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  } catch (err) {
    throw new ModelError('UNREADABLE', `cannot read model directory ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new ModelError('INVALID_MANIFEST', `invalid model.json in ${dir}: ${parsed.error.message}`);
  const m = parsed.data;
  const invalid = (why: string) => new ModelError('INVALID_MANIFEST', `${dir}: ${why}`);
  if (m.network.classes !== m.labels.length)
    throw invalid(`the network gives ${m.network.classes} classes for ${m.labels.length} labels`);
  if (m.network.nMels > m.frontend.nMels || m.scale.length !== inputWidth(m.network))
    throw invalid(
      `the network reads ${inputWidth(m.network)} channels (${m.network.nMels} mel bands) with ${m.scale.length} scales`,
    );
  if (m.network.prosody && m.frontend.pitchStride === undefined)
    throw invalid('a prosody network needs frontend.pitchStride');
  if (
    Boolean(m.speakerPrior) !== Boolean(m.network.speakerOffsets) ||
    (m.network.speakerOffsets && !m.network.prosody)
  )
    throw invalid(
      'a network with speaker channels needs prosody and a speaker prior, and only it has a prior',
    );
  if (m.network.meanFloorDb !== undefined && !m.network.prosody)
    throw invalid('window means over the loud frames (meanFloorDb) need a prosody network (its energy row)');
  if (m.speakerPrior && m.speakerPrior.mean.length !== PRIOR_CHANNELS)
    throw invalid(`a speaker prior holds ${PRIOR_CHANNELS} means, not ${m.speakerPrior.mean.length}`);
  if (m.speakerPrior?.neutralGate !== undefined && !m.labels.includes('neutral'))
    throw invalid('a neutral gate needs a neutral class');
  if (m.classOffsets && m.classOffsets.length !== m.labels.length)
    throw invalid(`${m.classOffsets.length} class offsets for ${m.labels.length} labels`);
  return m;
}

/** Loads a model directory (model.json + weights.bin), validating every shape. */
export function loadModel(dir: string = COMMITTED_MODEL_DIR): EmotionModel {
  const m = readManifest(dir);
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, 'weights.bin'));
  } catch (err) {
    throw new ModelError('UNREADABLE', `cannot read model directory ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const weights = new Float32Array(bytes.byteLength >> 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < weights.length; i++) weights[i] = view.getFloat32(4 * i, true);
  let offset = 0;
  const take = (n: number) => {
    if (offset + n > weights.length)
      throw new ModelError('WEIGHTS_MISMATCH', `weights.bin is too short for the layers in model.json`);
    const out = weights.slice(offset, offset + n);
    offset += n;
    return out;
  };
  const members = Array.from({ length: m.members ?? 1 }, () => {
    const arrays = weightShapes(m.network).map(({ w, b }) => ({ w: take(w[0] * w[1]), b: take(b) }));
    return { layers: arrays.slice(0, m.network.layers.length), dense: arrays.slice(m.network.layers.length) };
  });
  if (offset !== weights.length || bytes.byteLength % 4 !== 0)
    throw new ModelError('WEIGHTS_MISMATCH', `weights.bin has ${bytes.byteLength - 4 * offset} unused bytes`);
  return {
    version: m.version,
    labels: m.labels,
    frontend: m.frontend,
    window: m.window,
    network: m.network,
    scale: Float32Array.from(m.scale),
    ...(m.speakerPrior && {
      speakerPrior: {
        mean: Float32Array.from(m.speakerPrior.mean),
        frames: m.speakerPrior.frames,
        ...(m.speakerPrior.neutralGate !== undefined && { neutralGate: m.speakerPrior.neutralGate }),
      },
    }),
    temperature: m.temperature,
    ...(m.classOffsets && { classOffsets: Float32Array.from(m.classOffsets) }),
    members,
    metadata: m.metadata,
    ...(m.quantization && { quantization: m.quantization }),
  };
}

/** Writes `model` as a model directory. */
export function saveModel(model: EmotionModel, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const manifest: Manifest = {
    format: MODEL_FORMAT,
    version: model.version,
    labels: [...model.labels],
    frontend: model.frontend,
    window: model.window,
    network: model.network,
    scale: Array.from(model.scale),
    ...(model.speakerPrior && {
      speakerPrior: {
        mean: Array.from(model.speakerPrior.mean),
        frames: model.speakerPrior.frames,
        ...(model.speakerPrior.neutralGate !== undefined && { neutralGate: model.speakerPrior.neutralGate }),
      },
    }),
    temperature: model.temperature,
    ...(model.classOffsets && { classOffsets: Array.from(model.classOffsets) }),
    members: model.members.length,
    metadata: model.metadata,
    ...(model.quantization && { quantization: model.quantization }),
  };
  const arrays = model.members.flatMap(({ layers, dense }) =>
    [...layers, ...dense].flatMap((p) => [p.w, p.b]),
  );
  const buf = Buffer.alloc(arrays.reduce((s, a) => s + a.length, 0) * 4);
  let o = 0;
  for (const a of arrays) for (const v of a) o = buf.writeFloatLE(v, o);
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  writeFileSync(join(dir, 'weights.bin'), buf);
}
