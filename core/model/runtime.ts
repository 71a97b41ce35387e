// What runs a TDNN model's network in the product, and scoring through it (asynchronous, as ONNX
// Runtime's session.run is). Runtimes, in the order `auto` tries them:
//  - onnx: ONNX Runtime (onnxruntime-node, an optional dependency) on the graph onnx.ts builds from
//    the weights; about 4× faster per window than tfjs wasm here (npm run bench -- model).
//  - tfjs-node: tfjs's native TensorFlow backend (@tensorflow/tfjs-node, not a dependency: its
//    install downloads a binary, so install it yourself where that works), same tdnnLogits path.
//    Untested here beyond "absent: auto falls back, named: clear error".
//  - tfjs-wasm: tfjs's wasm backend (XNNPACK), always installed; training scores on it.
// VOICEPULSE_MODEL_RUNTIME = auto (default) | onnx | tfjs-node | tfjs-wasm. Every runtime runs on
// the calling thread with one intra-op thread: scaling is by scoring threads, one per core.
// An MLP model runs in TypeScript whatever is chosen.
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import {
  describeModel,
  type EmotionModel,
  featureWindowInputs,
  inputProbs,
  isTdnn,
  modelFeatures,
  NETWORK_BATCH,
  releaseModel,
  sampleWindowInputs,
  type TdnnModel,
  type WindowScore,
  windowScores,
} from './model.ts';
import { ONNX_INPUT, ONNX_OUTPUT, tdnnOnnx } from './onnx.ts';
import { inputWidth, tf } from './tdnn.ts';

export const RUNTIMES = ['onnx', 'tfjs-node', 'tfjs-wasm'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];
export type RuntimeChoice = 'auto' | RuntimeName;

/** The optional package each runtime imports (tfjs wasm is a dependency, loaded with model.ts). */
const PACKAGES: Record<RuntimeName, string | undefined> = {
  onnx: 'onnxruntime-node',
  'tfjs-node': '@tensorflow/tfjs-node',
  'tfjs-wasm': undefined,
};

export class RuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** VOICEPULSE_MODEL_RUNTIME, validated (unset or empty: auto). */
export function runtimeChoice(value = process.env.VOICEPULSE_MODEL_RUNTIME): RuntimeChoice {
  if (value === undefined || value === '') return 'auto';
  if (value === 'auto' || (RUNTIMES as readonly string[]).includes(value)) return value as RuntimeChoice;
  throw new RuntimeError(`VOICEPULSE_MODEL_RUNTIME must be auto, ${RUNTIMES.join(', ')}; got '${value}'`);
}

/**
 * Fails fast (synchronously, at start-up) when `choice` names a runtime whose package is not
 * installed; whether an installed one loads is known only once openRunner imports it.
 */
export function checkRuntime(choice: RuntimeChoice = runtimeChoice()): void {
  const pkg = choice === 'auto' ? undefined : PACKAGES[choice];
  if (pkg === undefined) return;
  try {
    createRequire(import.meta.url).resolve(pkg);
  } catch {
    throw new RuntimeError(notInstalled(choice as RuntimeName, pkg));
  }
}

const notInstalled = (runtime: RuntimeName, pkg: string) =>
  `runtime '${runtime}' is unavailable: ${pkg} is not installed (npm install ${pkg})`;

/** Imports an optional package by name (tests pass one that fails, to stand for a failed install). */
export type Importer = (specifier: string) => Promise<unknown>;
const importPackage: Importer = (specifier) => import(specifier);

/** A model bound to the runtime that runs its network. */
export interface ModelRunner {
  readonly model: EmotionModel;
  /** What runs the network: the chosen runtime for a TDNN, 'typescript' for an MLP ensemble. */
  readonly runtime: RuntimeName | 'typescript';
  /** Class probabilities (model.labels order) of model inputs (model.ts featureWindowInputs). */
  inputProbs(inputs: readonly Float32Array[]): Promise<Float32Array[]>;
  /** Class probabilities (model.labels order) of each window of 8 kHz samples, scored as one unit. */
  classifyWindows(windows: readonly Float32Array[]): Promise<Float32Array[]>;
  /** model.ts scoreWindows on this runtime. */
  scoreWindows(samples8k: Float32Array, opts?: { windowMs?: number; hopMs?: number }): Promise<WindowScore[]>;
  /** describeModel with the runtime named. */
  describe(): string;
  /** Frees the runtime's copy of the weights; the runner is unusable afterwards. */
  release(): Promise<void>;
}

interface Network {
  probs(inputs: readonly Float32Array[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

/**
 * Binds `model` to a runtime: `choice` (default VOICEPULSE_MODEL_RUNTIME) names one, which must
 * load, or is auto: the first of RUNTIMES that loads.
 */
export async function openRunner(
  model: EmotionModel,
  choice: RuntimeChoice = runtimeChoice(),
  importer: Importer = importPackage,
): Promise<ModelRunner> {
  const { runtime, network } = isTdnn(model)
    ? await loadNetwork(model, choice, importer)
    : {
        runtime: 'typescript' as const,
        network: {
          probs: async (inputs: readonly Float32Array[]) => inputProbs(model, inputs),
          release: async () => {},
        },
      };
  return {
    model,
    runtime,
    inputProbs: (inputs) => network.probs(inputs),
    async classifyWindows(windows) {
      return network.probs(sampleWindowInputs(model, windows));
    },
    async scoreWindows(samples8k, opts = {}) {
      const features = modelFeatures(model, samples8k);
      const { frames, inputs } = featureWindowInputs(model, features, opts.windowMs, opts.hopMs);
      return windowScores(model, samples8k.length, frames, await network.probs(inputs));
    },
    describe: () => describeModel(model, runtime),
    release: () => network.release(),
  };
}

/**
 * A runner for each runtime that loads here, tfjs wasm (the baseline) first, and why the others did
 * not load (for benchmarks and the model card). An MLP gets its one TypeScript runner.
 */
export async function openInstalledRunners(
  model: EmotionModel,
): Promise<{ runners: ModelRunner[]; unavailable: string[] }> {
  const runners: ModelRunner[] = [];
  const unavailable: string[] = [];
  for (const runtime of isTdnn(model) ? [...RUNTIMES].reverse() : (['tfjs-wasm'] as const))
    try {
      runners.push(await openRunner(model, runtime));
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      unavailable.push(err.message);
    }
  return { runners, unavailable };
}

async function loadNetwork(
  model: TdnnModel,
  choice: RuntimeChoice,
  importer: Importer,
): Promise<{ runtime: RuntimeName; network: Network }> {
  const load = async (runtime: RuntimeName) => {
    const pkg = PACKAGES[runtime];
    let mod: unknown;
    if (pkg !== undefined)
      try {
        mod = await importer(pkg);
      } catch (err) {
        throw new RuntimeError(
          (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND'
            ? notInstalled(runtime, pkg)
            : `runtime '${runtime}' is unavailable: ${pkg} failed to load: ${(err as Error).message}`,
        );
      }
    try {
      if (runtime === 'onnx') return await onnxNetwork(model, mod as typeof Ort);
      return await tfjsNetwork(model, runtime === 'tfjs-node' ? 'tensorflow' : 'wasm');
    } catch (err) {
      throw new RuntimeError(`runtime '${runtime}' failed to start: ${(err as Error).message}`);
    }
  };
  if (choice !== 'auto') return { runtime: choice, network: await load(choice) };
  for (const runtime of RUNTIMES.slice(0, -1))
    try {
      return { runtime, network: await load(runtime) };
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
    }
  return { runtime: 'tfjs-wasm', network: await load('tfjs-wasm') };
}

async function onnxNetwork(model: TdnnModel, ort: typeof Ort): Promise<Network> {
  const session = await ort.InferenceSession.create(tdnnOnnx(model), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3, // errors only: `classify --json` keeps stderr clean
  });
  const { frames, classes } = model.network;
  const size = frames * inputWidth(model.network);
  return {
    async probs(inputs) {
      const out: Float32Array[] = [];
      for (let b = 0; b < inputs.length; b += NETWORK_BATCH) {
        const chunk = inputs.slice(b, b + NETWORK_BATCH);
        const data = new Float32Array(chunk.length * size);
        chunk.forEach((x, i) => {
          data.set(x, i * size);
        });
        const x = new ort.Tensor('float32', data, [chunk.length, frames, size / frames]);
        const probs = (await session.run({ [ONNX_INPUT]: x }))[ONNX_OUTPUT]!.data as Float32Array;
        for (let i = 0; i < chunk.length; i++) out.push(probs.slice(i * classes, (i + 1) * classes));
      }
      return out;
    },
    release: () => session.release(),
  };
}

/**
 * tdnnLogits on a tfjs backend. tfjs's backend is global to the thread: each call selects its own,
 * so the synchronous scoring (model.ts) runs on whichever a runtime last used.
 */
async function tfjsNetwork(model: TdnnModel, backend: 'wasm' | 'tensorflow'): Promise<Network> {
  const select = async () => {
    if (tf.getBackend() !== backend && !(await tf.setBackend(backend)))
      throw new RuntimeError(`tfjs backend '${backend}' failed to initialise`);
  };
  await select();
  return {
    async probs(inputs) {
      await select();
      return inputProbs(model, inputs);
    },
    release: async () => releaseModel(model),
  };
}
