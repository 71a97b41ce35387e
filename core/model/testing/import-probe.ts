// Run in a fresh process (`node bin/run-ts.js core/model/testing/import-probe.ts [--open RUNTIME]
// MODULE...`): imports the modules, then prints as JSON what of the model runtimes is up — whether
// tfjs is loaded and which backend it initialised, whether ONNX Runtime is loaded. With --open, it
// first opens a small model on that runtime, so a test can show that the probe sees one.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const open = args[0] === '--open' ? args[1] : undefined;
for (const module of open ? args.slice(2) : args) await import(pathToFileURL(resolve(module)).href);
if (open) {
  const [{ openRunner }, { seededModel }] = await Promise.all([import('../runner.ts'), import('./tdnn.ts')]);
  await openRunner(seededModel('probe'), { runtime: open as 'onnx' | 'tfjs-wasm' });
}
// Packages that Node loads as CommonJS (tfjs, onnxruntime-node) are in the require cache once imported.
const loaded = Object.keys(createRequire(import.meta.url).cache);
const engine = (globalThis as { _tfengine?: { backendName?: string } })._tfengine;
process.stdout.write(
  `${JSON.stringify({
    tfjs: loaded.some((path) => path.includes('/@tensorflow/')),
    backend: engine?.backendName ?? null,
    ort: loaded.some((path) => path.includes('/onnxruntime-node/')),
  })}\n`,
);
