// The emotion network's shape and weights, with no runtime: a TDNN (time-delay layers = dilated 1-D
// convolutions over log-mel frames, each followed by ReLU and per-frame layer normalisation),
// statistics pooling (mean and standard deviation over time), then dense layers. tfjs.ts and onnx.ts
// run it; this module is what format.ts stores and checks.
import { VoicePulseError } from '../errors.ts';

export type TdnnErrorCode =
  /** Weight arrays that do not match the network's shape. */
  | 'BAD_WEIGHTS'
  /** Frame features or a window that the network cannot read. */
  | 'BAD_INPUT'
  /** tfjs could not select the backend a runtime needs. */
  | 'BACKEND_FAILED';

export class TdnnError extends VoicePulseError<TdnnErrorCode> {}

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
  /**
   * Three channels after the prosody ones, the same in every frame: the window's energy and F0
   * against its speaker's running mean, and how much of that mean is the speaker's own
   * (speaker-norm.ts; needs prosody and the model's speaker prior).
   */
  speakerOffsets?: boolean;
  /**
   * The window means of the mel bands and the energy over only the window's frames whose energy is
   * within this many dB of its loudest (every frame still reaches the network): a pause of line noise
   * inside a window then leaves its speech centred as a clip's would be. Needs prosody (the energy
   * row). Absent: the means over all of the window's frames.
   */
  meanFloorDb?: number;
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

/** Layer-norm and statistics-pooling epsilon (tfjs.ts and onnx.ts compute the same). */
export const EPSILON = 1e-5;

/**
 * The network loaded on a runtime (tfjs.ts, onnx.ts): class probabilities of a batch of inputs, the
 * mean over ensemble members of softmax(logits / temperature).
 */
export interface Network {
  /** `x` holds `batch` network inputs ([frames][inputWidth] each) back to back; returns [batch][classes]. */
  run(x: Float32Array, batch: number): Promise<Float32Array>;
  /**
   * run()'s probabilities and, per window, the probabilities with each explanation segment left out
   * of the statistics pooling (explain.ts): `occluded` is [batch][segments][classes].
   */
  explain(x: Float32Array, batch: number): Promise<{ probs: Float32Array; occluded: Float32Array }>;
  /** Frees the runtime's copy of the weights. */
  release(): Promise<void>;
}

/** Frames of context each output frame sees; a window needs at least this many network frames. */
export function receptiveField(cfg: TdnnConfig): number {
  return 1 + cfg.layers.reduce((s, l) => s + (l.context - 1) * l.dilation, 0);
}

/** Prosody channels (see TdnnConfig.prosody): energy, F0, voicing. */
export const PROSODY_CHANNELS = 3;
/** Speaker channels (speaker-norm.ts): energy and F0 against the speaker's mean, and its own share. */
export const SPEAKER_CHANNELS = 3;

/** Values per network frame: mel bands, then the prosody channels when configured. */
export function inputWidth(cfg: Pick<TdnnConfig, 'nMels' | 'prosody' | 'speakerOffsets'>): number {
  return cfg.nMels + (cfg.prosody ? PROSODY_CHANNELS : 0) + (cfg.speakerOffsets ? SPEAKER_CHANNELS : 0);
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
    throw new TdnnError('BAD_WEIGHTS', `expected ${shapes.length} weight layers, got ${all.length}`);
  all.forEach((p, i) => {
    const s = shapes[i]!;
    if (p.w.length !== s.w[0] * s.w[1] || p.b.length !== s.b)
      throw new TdnnError('BAD_WEIGHTS', `layer ${i}: weights do not match ${s.w[0]}x${s.w[1]} + ${s.b}`);
  });
}
