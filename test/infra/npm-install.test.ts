// A fresh `npm ci` prints nothing a newcomer must interpret: every dependency install script is
// reviewed in package.json's allowScripts (npm 11 lists unreviewed ones after each install), and no
// project config npm does not know (npm 11 warns about those on every npm and npx call).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

it('covers every installed install script in allowScripts, with no npm warning', async () => {
  const { stdout, stderr } = await promisify(execFile)('npm', ['install-scripts', 'ls', '--json'], {
    cwd: ROOT,
  });
  expect(stderr).not.toMatch(/warn/i);
  expect(JSON.parse(stdout)).toEqual({ allowScripts: [] });
});

it('skips the CUDA download of onnxruntime-node without any project .npmrc', () => {
  expect(existsSync(resolve(ROOT, '.npmrc'))).toBe(false);
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8'));
  expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
  // The denied postinstall is what fetches the CUDA execution provider; the CPU runtime is in the package.
  const bin = resolve(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch);
  const files = readdirSync(bin);
  expect(files).toContain('onnxruntime_binding.node');
  expect(files.filter((f) => f.includes('providers_cuda'))).toEqual([]);
});
