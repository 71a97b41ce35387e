// Code only a development install has: training/ and the other .dockerignore'd folders, and the
// devDependencies (vega for the model card's plots, …). A production install (the image: npm ci
// --omit=dev, .dockerignore applied) lacks them, so a command that needs them imports them here, inside
// its action, and reports their absence as one line instead of a stack trace.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What an ERR_MODULE_NOT_FOUND names: a package, or a file relative to the checkout. */
function missingName(err: NodeJS.ErrnoException): string {
  const name = /Cannot find (?:package|module) '([^']+)'/.exec(err.message)?.[1] ?? err.message;
  return name.startsWith('/') ? relative(ROOT, name) : name;
}

/** `load()` (dynamic imports of dev-only code) for `command`, or a one-line CliError naming what is missing. */
export async function importDevOnly<T>(command: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new CliError(
      `${command} needs a development install (a full checkout, npm ci without --omit=dev): missing ${missingName(err as NodeJS.ErrnoException)}`,
    );
  }
}
