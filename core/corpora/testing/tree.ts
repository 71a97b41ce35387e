import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Test helper: a fresh temp directory holding empty files at the given relative paths. */
export function makeTree(files: readonly string[], contents: Uint8Array = new Uint8Array(0)): string {
  const root = mkdtempSync(join(tmpdir(), 'vp-corpora-'));
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), contents);
  }
  return root;
}
