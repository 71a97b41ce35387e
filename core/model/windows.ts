// What the network reads: the frame features of 8 kHz audio, the windows cut from them (the model's
// window and hop, from its manifest) and each window's network input (per-window mean-normalised,
// scaled, pooled and tiled frames). Shared by every path through runner.ts, live and offline.
import { logMelSpectrogram } from '../features/logmel.ts';
import type { FeatureMatrix } from '../features/matrix.ts';
import { type EmotionModel, ModelError, type WindowConfig } from './format.ts';
import { melProsody } from './frontend.ts';
import { type SpeakerCentre, SpeakerStats, voicedStats } from './speaker-norm.ts';
import { inputWidth, PROSODY_CHANNELS, SPEAKER_CHANNELS, type TdnnConfig, TdnnError } from './tdnn.ts';

/** Duration of one feature frame (one STFT hop) in ms. */
export function msPerFrame(model: EmotionModel): number {
  return (1000 * model.frontend.hopLength) / model.frontend.sr;
}

/**
 * The frame features a model's windows are scored from: log-mel + prosody rows for a prosody
 * network, log-mel otherwise. Frame descriptors (frontend.ts) work too: their first rows are the
 * log-mel bands and their last three the prosody rows, which is what training caches.
 */
export function modelFeatures(model: EmotionModel, samples8k: Float32Array): FeatureMatrix {
  if (samples8k.length < model.frontend.nFft)
    throw new ModelError(
      'AUDIO_TOO_SHORT',
      `audio of ${samples8k.length} samples is shorter than one ${model.frontend.nFft}-sample frame`,
    );
  const { pitchStride } = model.frontend;
  return model.network.prosody && pitchStride !== undefined
    ? melProsody(samples8k, { ...model.frontend, pitchStride })
    : logMelSpectrogram(samples8k, model.frontend);
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

/** The windows (`window`, default the model's) over `cols` frames of the model's features. */
export function modelWindowFrames(
  model: EmotionModel,
  cols: number,
  window: WindowConfig = model.window,
): Array<[number, number]> {
  const { lengthMs, hopMs } = window;
  if (!(lengthMs > 0 && hopMs > 0))
    throw new ModelError('INVALID_WINDOW', `window ${lengthMs} ms / hop ${hopMs} ms must be positive`);
  const frameMs = msPerFrame(model);
  return windowFrames(
    cols,
    Math.max(1, Math.round(lengthMs / frameMs)),
    Math.max(1, Math.round(hopMs / frameMs)),
  );
}

/**
 * The network input of frames [start, end) of `features` (see windowInput); `speaker`: the speaker's
 * centre (speaker-norm.ts), which a network with speaker channels needs.
 */
export function modelInput(
  model: EmotionModel,
  features: FeatureMatrix,
  start: number,
  end: number,
  speaker?: SpeakerCentre,
): Float32Array {
  return windowInput(features, start, end, model.network, model.scale, speaker);
}

/**
 * The network inputs of windows `frames` (ordered by end) of one speaker's recording: for a model
 * with a speaker prior, each window's speaker channels measured against the frames up to its end
 * (causal, as live). A model with a neutral gate admits frames only on a window's score, which this
 * does not know: every window is measured against the prior (the runner's scoreFeatures scores them
 * in turn).
 */
export function recordingInputs(
  model: EmotionModel,
  features: FeatureMatrix,
  frames: ReadonlyArray<readonly [number, number]>,
): Float32Array[] {
  const speaker = model.speakerPrior && new SpeakerStats(model.speakerPrior);
  const admits = model.speakerPrior?.neutralGate === undefined;
  let counted = 0;
  return frames.map(([s, e]) => {
    if (!speaker) return modelInput(model, features, s, e);
    if (admits) speaker.add(features, counted, e);
    counted = Math.max(counted, e);
    return modelInput(model, features, s, e, speaker.centre());
  });
}

/**
 * The network input of one window: mel rows [0, nMels) of `features` over frames [start, end),
 * `pool` frames averaged, each band's mean over the window removed (per-window cepstral-style
 * mean normalisation: gain and channel colouring cancel), divided by `scale` (per-channel spread of
 * the training windows), tiled to cfg.frames. With cfg.prosody, `features` are frame descriptors
 * whose last three rows are energy (dB), F0 (semitones, 0 unvoiced) and voicing (frontend.ts
 * descriptorRows); they become channels nMels.. : energy minus its window mean, F0 minus the mean of
 * the window's voiced frames (0 where unvoiced), voicing as is. With cfg.speakerOffsets, three more
 * channels in every frame: the window's mean energy and voiced F0 (0 when none is voiced) minus the
 * speaker's (`speaker`), and the speaker centre's own share. Returns [frames][inputWidth] row-major.
 */
export function windowInput(
  features: FeatureMatrix,
  start: number,
  end: number,
  cfg: TdnnConfig,
  scale: Float32Array,
  speaker?: SpeakerCentre,
): Float32Array {
  const { nMels, pool, frames } = cfg;
  const width = inputWidth(cfg);
  if (cfg.speakerOffsets && !cfg.prosody)
    throw new TdnnError('BAD_INPUT', 'speaker channels need a prosody network (voicing from F0)');
  if (cfg.meanFloorDb !== undefined && !cfg.prosody)
    throw new TdnnError('BAD_INPUT', 'window means over the loud frames need a prosody network (energy)');
  const rows = inputWidth({ nMels, prosody: cfg.prosody });
  if (features.rows < rows)
    throw new TdnnError('BAD_INPUT', `need ${rows} feature rows, got ${features.rows}`);
  if (!(start >= 0 && end <= features.cols && end - start >= pool))
    throw new TdnnError('BAD_INPUT', `window [${start}, ${end}) does not fit ${features.cols} frames`);
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
  // The energy first: with meanFloorDb it decides which frames the means are taken over.
  const energySum = cfg.prosody ? pooled(features.rows - 3, nMels) : 0;
  const floor = cfg.meanFloorDb;
  let loudFrom = -Infinity;
  if (floor !== undefined) {
    for (let t = 0; t < n; t++) loudFrom = Math.max(loudFrom, out[t * width + nMels]!);
    loudFrom -= floor;
  }
  /** Channel `ch`'s window mean (its pooled values sum to `sum`), over the loud frames with meanFloorDb. */
  const mean = (ch: number, sum: number) => {
    if (floor === undefined) return sum / n;
    let s = 0;
    let k = 0;
    for (let t = 0; t < n; t++) {
      if (out[t * width + nMels]! < loudFrom) continue;
      s += out[t * width + ch]!;
      k++;
    }
    return s / k;
  };
  for (let m = 0; m < nMels; m++) shift(m, mean(m, pooled(m, m)));
  if (cfg.prosody) {
    shift(nMels, mean(nMels, energySum));
    pooledF0(features, features.rows - 2, start, n, pool, out, width, nMels + 1, scale[nMels + 1]!);
    pooled(features.rows - 1, nMels + 2);
    shift(nMels + 2, 0);
    if (cfg.speakerOffsets) {
      if (!speaker)
        throw new TdnnError('BAD_INPUT', 'a network with speaker channels needs the speaker centre');
      const c = nMels + PROSODY_CHANNELS;
      // The window's voiced frames against the speaker's (a pause in the window changes neither).
      const window = voicedStats(features, start, start + n * pool);
      const own = window.centre();
      const values =
        window.voiced > 0
          ? [own.energy - speaker.energy, own.f0 - speaker.f0, speaker.own]
          : [0, 0, speaker.own];
      for (let k = 0; k < SPEAKER_CHANNELS; k++) {
        const v = values[k]! / scale[c + k]!;
        for (let t = 0; t < n; t++) out[t * width + c + k] = v;
      }
    }
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

/** A model window as the live path's settings spell it (core/streaming/config.ts modelStreaming). */
export function streamingWindow(window: WindowConfig): { windowMs: number; hopMs: number } {
  return { windowMs: window.lengthMs, hopMs: window.hopMs };
}
