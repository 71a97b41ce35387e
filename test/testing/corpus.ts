import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { parseEnv } from '../../core/config/env.ts';

/**
 * The corpus data root: env VOICEPULSE_DATA if set, else <repo>/../shared/data;
 * undefined when that directory does not exist.
 */
export function corpusRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = parseEnv(env).data.root;
  return existsSync(root) ? root : undefined;
}

/** Thrown when a corpus a test needs is missing while running in CI. */
export class MissingCorpusError extends Error {
  constructor(readonly missing: string) {
    super(
      `corpus data required in CI but missing: ${missing} (set VOICEPULSE_DATA or provide ../shared/data)`,
    );
    this.name = 'MissingCorpusError';
  }
}

/**
 * Resolves the data root (or `<root>/<name>` for one corpus) when present. When absent:
 * throws MissingCorpusError if env.CI is set, otherwise returns undefined after a loud warning,
 * so the caller can skip.
 */
export function findCorpus(name?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = corpusRoot(env);
  const path = root && name ? join(root, name) : root;
  if (path && existsSync(path)) return path;
  const missing = name ? `corpus '${name}'` : 'corpus data root';
  if (env.CI) throw new MissingCorpusError(missing);
  console.warn(
    `[corpus] SKIPPING tests: ${missing} not found (set VOICEPULSE_DATA or provide ../shared/data)`,
  );
  return undefined;
}

/**
 * For use inside a test body or a describe block that already checked presence:
 * returns the root (or corpus folder), or throws a MissingCorpusError when it is absent
 * (whether or not in CI) so a test can never silently run without its data.
 */
export function requireCorpus(name?: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = corpusRoot(env);
  const path = root && name ? join(root, name) : root;
  if (path && existsSync(path)) return path;
  throw new MissingCorpusError(name ? `corpus '${name}'` : 'corpus data root');
}

/**
 * describe() over real corpus data: `fn` receives the resolved path. Skips loudly when the data
 * is absent outside CI and fails (throws at collection) inside CI.
 */
export function describeWithCorpus(title: string, fn: (path: string) => void, corpus?: string): void {
  const path = findCorpus(corpus);
  if (path === undefined) {
    // A skipped entry keeps the gap visible in the test report, not just in the warning.
    it.skip(`${title} (corpus data absent)`, () => {});
    return;
  }
  describe(title, () => fn(path));
}
