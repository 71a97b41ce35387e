// What the Docker image holds: the build context of a clean checkout (git's tracked files and the
// untracked ones it does not ignore) less what .dockerignore leaves out, matched by
// @balena/dockerignore (Docker's rules, which differ from .gitignore's: `bench` is the top-level
// folder only). The production-install and import-graph tests both judge code against this set.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dockerignoreModule from '@balena/dockerignore';

// Typed as an ES default export, but the package is CommonJS (`module.exports = factory`), which is
// what Node's default import returns.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** Whether `.dockerignore` of `root` leaves the repo-relative `path` out of the image. */
export function dockerIgnored(root = ROOT): (path: string) => boolean {
  const rules = dockerignore().add(readFileSync(join(root, '.dockerignore'), 'utf8'));
  return (path) => rules.ignores(path);
}

/** The repo-relative paths of every file `COPY . .` puts into the image. */
export function imageFiles(root = ROOT): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
    .split('\0')
    .filter((p) => p !== '' && existsSync(join(root, p)));
  const ignored = dockerIgnored(root);
  return [...new Set(listed)].filter((p) => !ignored(p));
}
