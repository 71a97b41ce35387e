// Importing a module starts no model runtime: tfjs selects no backend and ONNX Runtime is not even
// loaded until a runner is opened, and the modules on the serving and CLI paths do not load tfjs at
// all. Each check imports into a fresh process (a test file's own process has tfjs loaded by others).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

interface Probe {
  tfjs: boolean;
  backend: string | null;
  ort: boolean;
}

/** What of the runtimes is up after importing `modules` (and, with `open`, opening a model on it). */
async function probe(modules: string[], open?: string): Promise<Probe> {
  const args = [
    'bin/run-ts.js',
    'core/model/testing/import-probe.ts',
    ...(open ? ['--open', open] : []),
    ...modules,
  ];
  const { stdout } = await run(process.execPath, args, { cwd: ROOT });
  return JSON.parse(stdout) as Probe;
}

/** The production modules of a folder (no tests, no test support, no thread entry points). */
const modulesIn = (dir: string, except: string[] = []) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !except.includes(f))
    .map((f) => join(dir, f));

const NOTHING: Probe = { tfjs: false, backend: null, ort: false };

describe('importing modules starts no model runtime', () => {
  it('the model modules but tfjs.ts, the scoring modules and the CLI commands do not even load tfjs', async () => {
    const modules = [
      ...modulesIn('core/model', ['tfjs.ts']),
      ...modulesIn('services/live/scoring', ['thread.ts']),
      'cli/commands/features.ts',
      'cli/commands/model.ts',
    ];
    expect(modules).toContain('core/model/runner.ts');
    expect(await probe(modules)).toEqual(NOTHING);
  }, 60_000);

  it('tfjs.ts and the training modules load tfjs but select no backend', async () => {
    expect(
      await probe([
        'core/model/tfjs.ts',
        ...modulesIn('training', [
          'refresh-card-plots.ts',
          'product-card.ts',
          'quantize-model.ts',
          'cross-corpus-seeds.ts',
          'fit-class-offsets.ts',
        ]),
      ]),
    ).toEqual({
      ...NOTHING,
      tfjs: true,
    });
  }, 60_000);

  it('opening a runner is what starts one (the probe sees it)', async () => {
    expect(await probe(['core/model/runner.ts'], 'tfjs-wasm')).toEqual({
      ...NOTHING,
      tfjs: true,
      backend: 'wasm',
    });
    expect(await probe(['core/model/runner.ts'], 'onnx')).toEqual({ ...NOTHING, ort: true });
  }, 60_000);
});
