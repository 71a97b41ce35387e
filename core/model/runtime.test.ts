import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { concat, silence, voiced } from '../streaming/testing/synthetic.ts';
import { COMMITTED_MODEL_VERSION, loadModel } from './format.ts';
import { type ModelRunner, ModelStream, openInstalledRunners, openRunner } from './runner.ts';
import { checkRuntime, type Importer, RuntimeError } from './runtime.ts';

const model = loadModel();

/** Imports for real, except the packages in `broken`, which fail as `error` says. */
const failing =
  (broken: Record<string, 'missing' | 'crash'>): Importer =>
  (specifier) => {
    const how = broken[specifier];
    if (how === 'missing')
      return Promise.reject(
        Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' }),
      );
    if (how === 'crash')
      return Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file'));
    return import(specifier);
  };
const noAccelerators = failing({ 'onnxruntime-node': 'missing', '@tensorflow/tfjs-node': 'missing' });

const installed = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

/** Largest absolute difference between two runners' probabilities of the same windows. */
async function maxDifference(a: ModelRunner, b: ModelRunner, samples: Float32Array[]): Promise<number> {
  const windows = samples.map((x) => ({ stream: new ModelStream(), samples: x }));
  const [pa, pb] = await Promise.all([a.scoreWindows(windows), b.scoreWindows(windows)]);
  let max = 0;
  pa.forEach((p, i) => {
    p.forEach((v, c) => {
      max = Math.max(max, Math.abs(v - pb[i]![c]!));
    });
  });
  return max;
}

// Speech-like 2 s windows (pitch, level and pauses vary), and short ones that windowInput tiles.
const windows = [
  voiced(2000),
  voiced(2000, { f0: 230, amplitude: 0.6, seed: 3 }),
  concat(voiced(800, { f0: 95, seed: 7 }), silence(400), voiced(800, { f0: 120, seed: 8 })),
  voiced(2000, { f0: 300, amplitude: 0.02, seed: 11 }),
  voiced(600, { f0: 160, seed: 5 }),
  voiced(1300, { f0: 200, seed: 9 }),
];

describe('runtimes', () => {
  it('onnx gives the probabilities tfjs wasm gives (committed model, within 1e-4)', async () => {
    const onnx = await openRunner(model, { runtime: 'onnx' });
    const wasm = await openRunner(model, { runtime: 'tfjs-wasm' });
    expect([onnx.runtime, wasm.runtime]).toEqual(['onnx', 'tfjs-wasm']);
    expect(await maxDifference(onnx, wasm, windows)).toBeLessThan(1e-4);
    // The recording path too: windows sharing one feature pass, short tail window included.
    const call = concat(voiced(3000, { seed: 2 }), silence(500), voiced(2700, { f0: 210, seed: 4 }));
    const [a, b] = [await onnx.scoreRecording(call), await wasm.scoreRecording(call)];
    expect(a.map((w) => [w.startMs, w.endMs])).toEqual(b.map((w) => [w.startMs, w.endMs]));
    a.forEach((w, i) => {
      for (const [e, p] of Object.entries(w.probs))
        expect(Math.abs(p - b[i]!.probs[e as keyof typeof w.probs])).toBeLessThan(1e-4);
    });
    expect(onnx.describe()).toMatch(new RegExp(`^model ${COMMITTED_MODEL_VERSION}: TDNN .*, onnx$`));
    await Promise.all([onnx.release(), wasm.release()]);
  });

  it('auto picks onnx where it loads, else tfjs-node, else tfjs wasm', async () => {
    expect((await openRunner(model)).runtime).toBe('onnx');
    expect((await openRunner(model, { runtime: 'auto', importer: noAccelerators })).runtime).toBe(
      'tfjs-wasm',
    );
    const broken = failing({ 'onnxruntime-node': 'crash', '@tensorflow/tfjs-node': 'missing' });
    expect((await openRunner(model, { importer: broken })).runtime).toBe('tfjs-wasm');
  });

  it('a named runtime that cannot load is a clear error with its code', async () => {
    await expect(openRunner(model, { runtime: 'onnx', importer: noAccelerators })).rejects.toThrow(
      "NOT_INSTALLED: runtime 'onnx' is unavailable: onnxruntime-node is not installed (npm install onnxruntime-node)",
    );
    await expect(
      openRunner(model, { runtime: 'onnx', importer: failing({ 'onnxruntime-node': 'crash' }) }),
    ).rejects.toThrow(
      /^LOAD_FAILED: runtime 'onnx' is unavailable: onnxruntime-node failed to load: libonnxruntime/,
    );
    await expect(openRunner(model, { runtime: 'tfjs-node', importer: noAccelerators })).rejects.toThrow(
      RuntimeError,
    );
  });

  // tfjs-node is not a dependency (its install downloads a binary): where someone installed it, it
  // must match tfjs wasm; where not (here), naming it is a clear error, at start-up too.
  it('tfjs-node: matches tfjs wasm where installed, else a clear error', async () => {
    if (installed('@tensorflow/tfjs-node')) {
      const native = await openRunner(model, { runtime: 'tfjs-node' });
      const wasm = await openRunner(model, { runtime: 'tfjs-wasm' });
      expect(await maxDifference(native, wasm, windows)).toBeLessThan(1e-4);
    } else {
      await expect(openRunner(model, { runtime: 'tfjs-node' })).rejects.toThrow(
        "runtime 'tfjs-node' is unavailable: @tensorflow/tfjs-node is not installed",
      );
      expect(() => checkRuntime('tfjs-node')).toThrow(RuntimeError);
    }
    expect(() => checkRuntime('onnx')).not.toThrow();
    expect(() => checkRuntime('auto')).not.toThrow();
  });

  it('opens every installed runtime, tfjs wasm first, and says why the others did not load', async () => {
    const { runners, unavailable } = await openInstalledRunners(model);
    const expected = ['tfjs-wasm', ...(installed('@tensorflow/tfjs-node') ? ['tfjs-node'] : []), 'onnx'];
    expect(runners.map((r) => r.runtime)).toEqual(expected);
    // The committed model has no int8 calibration (quantize.ts), so onnx-int8 does not start.
    expect(unavailable).toHaveLength(4 - expected.length);
    expect(unavailable.at(-1)).toMatch(/^START_FAILED: runtime 'onnx-int8' failed to start: NO_RANGES/);
    for (const reason of unavailable.slice(0, -1)) expect(reason).toMatch(/tfjs-node is not installed/);
    for (const r of runners) await r.release();
  });
});
