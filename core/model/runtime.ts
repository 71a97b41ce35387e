// What runs the network, and loading it. Runtimes, in the order `auto` tries them:
//  - onnx: ONNX Runtime (onnxruntime-node, an optional dependency) on the graph onnx.ts builds from
//    the weights; about 4× faster per window than tfjs wasm here (npm run bench -- model).
//  - tfjs-node: tfjs's native TensorFlow backend (@tensorflow/tfjs-node, not a dependency: its
//    install downloads a binary, so install it yourself where that works), same tfjs.ts path.
//    Untested here beyond "absent: auto falls back, named: clear error".
//  - tfjs-wasm: tfjs's wasm backend (XNNPACK), always installed; training scores on it.
//  - onnx-int8: ONNX Runtime on the QDQ int8 graph (quantize.ts) of a model calibrated for it
//    (model.json `quantization`). Opt-in only: `auto` never picks it.
// Every runtime runs on the calling thread with one intra-op thread: scaling is by scoring threads,
// one per core. Nothing loads before a runner asks for it: the packages and this project's network
// modules are imported here, on demand.
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { VoicePulseError } from '../errors.ts';
import type { EmotionModel } from './format.ts';
import type { Network } from './tdnn.ts';

/** The runtimes `auto` tries, in order; tfjs wasm, always installed, last. */
const AUTO_RUNTIMES = ['onnx', 'tfjs-node', 'tfjs-wasm'] as const;
/** Every runtime; the opt-in ones first, so that openInstalledRunners (runner.ts) still opens tfjs wasm first. */
export const RUNTIMES = ['onnx-int8', ...AUTO_RUNTIMES] as const;
export type RuntimeName = (typeof RUNTIMES)[number];
/** A runtime by name, or `auto`: the first of AUTO_RUNTIMES that loads. */
export type RuntimeChoice = 'auto' | RuntimeName;

export type RuntimeErrorCode =
  /** The runtime's package is not installed. */
  | 'NOT_INSTALLED'
  /** The runtime's package is installed but failed to load (e.g. a missing native library). */
  | 'LOAD_FAILED'
  /** The runtime loaded but could not run the network. */
  | 'START_FAILED';

export class RuntimeError extends VoicePulseError<RuntimeErrorCode> {}

/** The optional package each runtime imports (tfjs wasm is a dependency). */
const PACKAGES: Record<RuntimeName, string | undefined> = {
  'onnx-int8': 'onnxruntime-node',
  onnx: 'onnxruntime-node',
  'tfjs-node': '@tensorflow/tfjs-node',
  'tfjs-wasm': undefined,
};

/**
 * Fails fast (synchronously, at start-up) when `choice` names a runtime whose package is not
 * installed; whether an installed one loads is known only once loadNetwork imports it.
 */
export function checkRuntime(choice: RuntimeChoice): void {
  const pkg = choice === 'auto' ? undefined : PACKAGES[choice];
  if (pkg === undefined) return;
  try {
    createRequire(import.meta.url).resolve(pkg);
  } catch {
    throw new RuntimeError('NOT_INSTALLED', notInstalled(choice as RuntimeName, pkg));
  }
}

const notInstalled = (runtime: RuntimeName, pkg: string) =>
  `runtime '${runtime}' is unavailable: ${pkg} is not installed (npm install ${pkg})`;

/** Imports an optional package by name (tests pass one that fails, to stand for a failed install). */
export type Importer = (specifier: string) => Promise<unknown>;
const importPackage: Importer = (specifier) => import(specifier);

/**
 * `model`'s network on the runtime `choice` names, which must load, or (auto) on the first of
 * AUTO_RUNTIMES that loads.
 */
export async function loadNetwork(
  model: EmotionModel,
  choice: RuntimeChoice,
  importer: Importer = importPackage,
): Promise<{ runtime: RuntimeName; network: Network }> {
  if (choice !== 'auto') return { runtime: choice, network: await load(model, choice, importer) };
  for (const runtime of AUTO_RUNTIMES.slice(0, -1))
    try {
      return { runtime, network: await load(model, runtime, importer) };
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
    }
  return { runtime: 'tfjs-wasm', network: await load(model, 'tfjs-wasm', importer) };
}

async function load(model: EmotionModel, runtime: RuntimeName, importer: Importer): Promise<Network> {
  const pkg = PACKAGES[runtime];
  let mod: unknown;
  if (pkg !== undefined)
    try {
      mod = await importer(pkg);
    } catch (err) {
      throw (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND'
        ? new RuntimeError('NOT_INSTALLED', notInstalled(runtime, pkg), { cause: err })
        : new RuntimeError(
            'LOAD_FAILED',
            `runtime '${runtime}' is unavailable: ${pkg} failed to load: ${(err as Error).message}`,
            { cause: err },
          );
    }
  try {
    if (runtime === 'onnx') return await (await import('./onnx.ts')).onnxNetwork(model, mod as typeof Ort);
    if (runtime === 'onnx-int8')
      return await (await import('./quantize.ts')).int8Network(model, mod as typeof Ort);
    const { tfjsNetwork } = await import('./tfjs.ts');
    return await tfjsNetwork(model, runtime === 'tfjs-node' ? 'tensorflow' : 'wasm');
  } catch (err) {
    throw new RuntimeError(
      'START_FAILED',
      `runtime '${runtime}' failed to start: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
