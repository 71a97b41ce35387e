// The one way to score: a model bound to the runtime that runs its network, opened explicitly
// (openModel, like livekit silero's VAD.load()) and released when done. Every caller — the live
// scoring threads, classify and eval, training's evaluation, the benchmarks — scores through a
// ModelRunner; callers hand it audio (or training's cached frame features), never network inputs,
// so input building and normalisation live here and in windows.ts only.
//
// Live audio arrives per speaker as a ModelStream: the runner sees each speaker's windows in order
// (the scoring engine keeps every call's windows in order), batched across speakers. A stream keeps
// its windows' frame features so that overlapping windows compute each frame once
// (stream-features.ts), and, for a model normalised per speaker, that speaker's running statistics
// (speaker-norm.ts): no caller knows either.
import type { Emotion } from '../emotions.ts';
import type { FeatureMatrix } from '../features/matrix.ts';
import { applyClassOffsets, offsetFactors } from './class-offsets.ts';
import {
  modelExplainLayout,
  msPerNetworkFrame,
  type WindowExplanation,
  windowExplanation,
} from './explain.ts';
import { type EmotionModel, loadModel, ModelError, type WindowConfig } from './format.ts';
import { probsRecord } from './probs.ts';
import {
  type Importer,
  loadNetwork,
  RUNTIMES,
  type RuntimeChoice,
  RuntimeError,
  type RuntimeName,
} from './runtime.ts';
import { SpeakerStats, voicedStats } from './speaker-norm.ts';
import { StreamFeatures, streamFeaturesParams } from './stream-features.ts';
import { inputWidth } from './tdnn.ts';
import { modelFeatures, modelInput, modelWindowFrames, msPerFrame, recordingInputs } from './windows.ts';

export interface RunnerOptions {
  /** What runs the network: a runtime by name, or the first that loads. Default 'auto'. */
  runtime?: RuntimeChoice;
  /** Imports the runtimes' optional packages (tests pass one that fails, standing for a failed install). */
  importer?: Importer;
}

/**
 * One speaker's audio as the model sees it: the windows scored for that speaker, in order. Close it
 * when the speaker's audio ends; a closed stream's windows are refused.
 */
export class ModelStream {
  #closed = false;
  get closed(): boolean {
    return this.#closed;
  }
  close(): void {
    this.#closed = true;
  }
}

/** A window of one speaker's 8 kHz audio, scored as one unit. */
export interface StreamWindow {
  readonly stream: ModelStream;
  readonly samples: Float32Array;
}

/** A window over precomputed frame features: its frame range [start, end) and probabilities. */
export interface FeatureWindow {
  frames: [number, number];
  /** Class probabilities in model.labels order. */
  probs: Float32Array;
}

/** A scored window and, for a full-length one, what drove its score. */
export interface ExplainedWindow {
  probs: Float32Array;
  explanation?: WindowExplanation;
}

export interface WindowScore {
  startMs: number;
  endMs: number;
  probs: Record<Emotion, number>;
}

export interface ModelRunner {
  readonly model: EmotionModel;
  readonly runtime: RuntimeName;
  /** One line naming the model's architecture and the runtime running it, for logs and benchmarks. */
  describe(): string;
  /** Class probabilities (model.labels order) of each window, in order: the live path. */
  scoreWindows(windows: readonly StreamWindow[]): Promise<Float32Array[]>;
  /**
   * scoreWindows plus each window's explanation (explain.ts); windows shorter than the model's have
   * none.
   */
  explainWindows(windows: readonly StreamWindow[]): Promise<ExplainedWindow[]>;
  /**
   * Windows (`window`, default the model's) over one recording's precomputed frame features
   * (windows.ts modelFeatures, or training's cached frame descriptors), sharing them.
   */
  scoreFeatures(features: FeatureMatrix, window?: WindowConfig): Promise<FeatureWindow[]>;
  /** scoreFeatures over a recording of 8 kHz samples; audio shorter than one window is one window. */
  scoreRecording(samples8k: Float32Array, window?: WindowConfig): Promise<WindowScore[]>;
  /** The network alone on prepared inputs (windows.ts modelInput): what benchmarks time. */
  networkProbs(inputs: readonly Float32Array[]): Promise<Float32Array[]>;
  /** Frees the runtime's copy of the weights; the runner is unusable afterwards. */
  release(): Promise<void>;
}

/** Most windows per network call: bounds activation memory when a long file is scored at once. */
export const NETWORK_BATCH = 32;

/** Loads the model in `dir` and its runtime. */
export async function openModel(dir: string, opts: RunnerOptions = {}): Promise<ModelRunner> {
  return openRunner(loadModel(dir), opts);
}

/** Binds a model in memory (a training snapshot, a test's) to its runtime. */
export async function openRunner(model: EmotionModel, opts: RunnerOptions = {}): Promise<ModelRunner> {
  const { runtime, network } = await loadNetwork(model, opts.runtime ?? 'auto', opts.importer);
  const size = model.network.frames * inputWidth(model.network);
  const classes = model.labels.length;
  /** `run` over inputs in batches of at most NETWORK_BATCH, stacked into one network input each. */
  const batched = async <T>(
    inputs: readonly Float32Array[],
    run: (x: Float32Array, batch: number, out: T[]) => Promise<void>,
  ) => {
    const out: T[] = [];
    for (let b = 0; b < inputs.length; b += NETWORK_BATCH) {
      const chunk = inputs.slice(b, b + NETWORK_BATCH);
      const x = new Float32Array(chunk.length * size);
      chunk.forEach((input, i) => {
        x.set(input, i * size);
      });
      await run(x, chunk.length, out);
    }
    return out;
  };
  const layout = modelExplainLayout(model);
  const networkFrameMs = msPerNetworkFrame(model);
  const perWindow = layout.segments * classes;
  const factors = model.classOffsets && offsetFactors(model.classOffsets);
  /** A window's probabilities as the model gives them: its class offsets applied. */
  const windowProbs = (probs: Float32Array, i: number) => {
    const p = probs.slice(i * classes, (i + 1) * classes);
    if (factors) applyClassOffsets(p, factors);
    return p;
  };
  /** A window's probabilities with each segment occluded (explain.ts), offset as its own. */
  const occludedProbs = (occluded: Float32Array, i: number) => {
    if (!factors) return occluded.subarray(i * perWindow, (i + 1) * perWindow);
    const rows = occluded.slice(i * perWindow, (i + 1) * perWindow);
    for (let r = 0; r < rows.length; r += classes) applyClassOffsets(rows.subarray(r, r + classes), factors);
    return rows;
  };
  const networkProbs = (inputs: readonly Float32Array[]) =>
    batched<Float32Array>(inputs, async (x, batch, out) => {
      const probs = await network.run(x, batch);
      for (let i = 0; i < batch; i++) out.push(windowProbs(probs, i));
    });
  // Each speaker stream's frame features, shared by its overlapping windows, and, for a model with a
  // speaker prior, its speaker's running statistics; a stream dropped by its caller is dropped here too.
  const streams = new WeakMap<ModelStream, { frames: StreamFeatures; speaker?: SpeakerStats }>();
  const streamParams = streamFeaturesParams(model);
  const { speakerPrior } = model;
  const gate = speakerPrior?.neutralGate;
  const neutral = model.labels.indexOf('neutral');
  /**
   * Each window's network input, whether it fills the model's window (is not tiled), and for a model
   * with a neutral gate its speaker's statistics and its own new voiced frames, which join them once
   * the window is scored neutral-like (scoreStream).
   */
  const streamInputs = (windows: readonly StreamWindow[]) => {
    const closed = windows.find((w) => w.stream.closed);
    if (closed) throw new ModelError('STREAM_CLOSED', 'a window was scored on a closed model stream');
    return windows.map(({ stream, samples }) => {
      let state = streams.get(stream);
      if (!state) {
        state = {
          frames: new StreamFeatures(model, streamParams),
          ...(speakerPrior && { speaker: new SpeakerStats(speakerPrior) }),
        };
        streams.set(stream, state);
      }
      const features = state.frames.next(samples);
      const from = features.cols - state.frames.fresh;
      // Ungated: a window's own new frames join the speaker's statistics before it is measured.
      if (gate === undefined) state.speaker?.add(features, from, features.cols);
      return {
        input: modelInput(model, features, 0, features.cols, state.speaker?.centre()),
        full: Math.floor(features.cols / model.network.pool) >= model.network.frames,
        ...(gate !== undefined &&
          state.speaker && {
            pending: { speaker: state.speaker, fresh: voicedStats(features, from, features.cols) },
          }),
      };
    });
  };
  type StreamInput = ReturnType<typeof streamInputs>[number];
  /**
   * `run` over the windows' inputs, results in window order. With a neutral gate a window must be
   * measured after the stream's window before it was scored, so the windows go in rounds (each
   * stream's first window of the call, then each one's second, ...), batched across streams.
   */
  const scoreStream = async <T extends { probs: Float32Array }>(
    windows: readonly StreamWindow[],
    run: (inputs: StreamInput[]) => Promise<T[]>,
  ): Promise<T[]> => {
    if (gate === undefined) return run(streamInputs(windows));
    const rounds: number[][] = [];
    const seen = new Map<ModelStream, number>();
    windows.forEach((w, i) => {
      const r = seen.get(w.stream) ?? 0;
      seen.set(w.stream, r + 1);
      if (r === rounds.length) rounds.push([]);
      rounds[r]!.push(i);
    });
    const out = new Array<T>(windows.length);
    for (const round of rounds) {
      const inputs = streamInputs(round.map((i) => windows[i]!));
      const scored = await run(inputs);
      round.forEach((i, k) => {
        out[i] = scored[k]!;
        const { pending } = inputs[k]!;
        if (pending && scored[k]!.probs[neutral]! >= gate) pending.speaker.merge(pending.fresh);
      });
    }
    return out;
  };
  const scoreFeatures = async (features: FeatureMatrix, window?: WindowConfig) => {
    const frames = modelWindowFrames(model, features.cols, window);
    if (gate === undefined) {
      const probs = await networkProbs(recordingInputs(model, features, frames));
      return frames.map((f, i) => ({ frames: f, probs: probs[i]! }));
    }
    // Gated: each window measured against the neutral-like windows before it, as live.
    const speaker = new SpeakerStats(speakerPrior!);
    let counted = 0;
    const out: FeatureWindow[] = [];
    for (const f of frames) {
      const [probs] = await networkProbs([modelInput(model, features, f[0], f[1], speaker.centre())]);
      const fresh = voicedStats(features, counted, f[1]);
      counted = Math.max(counted, f[1]);
      if (probs![neutral]! >= gate) speaker.merge(fresh);
      out.push({ frames: f, probs: probs! });
    }
    return out;
  };
  return {
    model,
    runtime,
    describe: () => describeModel(model, runtime),
    async scoreWindows(windows) {
      const scored = await scoreStream(windows, async (inputs) =>
        (await networkProbs(inputs.map((w) => w.input))).map((probs) => ({ probs })),
      );
      return scored.map((w) => w.probs);
    },
    explainWindows: (windows) =>
      scoreStream(windows, async (inputs) => {
        const scored = await batched<{ probs: Float32Array; occluded: Float32Array }>(
          inputs.map((w) => w.input),
          async (x, batch, out) => {
            const { probs, occluded } = await network.explain(x, batch);
            for (let i = 0; i < batch; i++)
              out.push({
                probs: windowProbs(probs, i),
                occluded: occludedProbs(occluded, i),
              });
          },
        );
        return scored.map(
          ({ probs, occluded }, i): ExplainedWindow =>
            inputs[i]!.full
              ? { probs, explanation: windowExplanation(probs, occluded, layout, networkFrameMs) }
              : { probs },
        );
      }),
    scoreFeatures,
    async scoreRecording(samples8k, window) {
      const frameMs = msPerFrame(model);
      const durationMs = (1000 * samples8k.length) / model.frontend.sr;
      return (await scoreFeatures(modelFeatures(model, samples8k), window)).map(({ frames, probs }) => ({
        startMs: frames[0] * frameMs,
        endMs: Math.min(durationMs, frames[1] * frameMs),
        probs: probsRecord(model.labels, probs),
      }));
    },
    networkProbs,
    release: () => network.release(),
  };
}

/**
 * A runner for each runtime that loads here, tfjs wasm (the baseline) first, and why the others did
 * not load (for benchmarks and the model card).
 */
export async function openInstalledRunners(
  model: EmotionModel,
): Promise<{ runners: ModelRunner[]; unavailable: string[] }> {
  const runners: ModelRunner[] = [];
  const unavailable: string[] = [];
  for (const runtime of [...RUNTIMES].reverse())
    try {
      runners.push(await openRunner(model, { runtime }));
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      unavailable.push(err.message);
    }
  return { runners, unavailable };
}

function describeModel(model: EmotionModel, runtime: RuntimeName): string {
  const n = model.network;
  const ensemble = model.members.length > 1 ? `, ${model.members.length} networks averaged` : '';
  const frameMs = (1000 * n.pool * model.frontend.hopLength) / model.frontend.sr;
  return `model ${model.version}: TDNN over ${n.nMels} log-mel bands${n.prosody ? ' + energy, F0, voicing' : ''}${n.speakerOffsets ? ` + energy and F0 against the speaker${model.speakerPrior?.neutralGate === undefined ? '' : "'s neutral-like speech"}` : ''} (${frameMs} ms frames: ${n.layers.map((l) => `${l.context}×${l.channels}`).join(', ')}; statistics pooling; dense ${n.dense.join('-')})${ensemble}, ${runtime}`;
}
