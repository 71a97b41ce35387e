import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusId, CorpusScan, ParseResult } from './clip.ts';

/**
 * Every regular file under `root`, as sorted '/'-separated paths relative to it. Hidden entries
 * (names starting with '.') are skipped; symlinks are followed.
 */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, prefix: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const isDir = entry.isSymbolicLink() ? statSync(full).isDirectory() : entry.isDirectory();
      if (isDir) visit(full, rel);
      else out.push(rel);
    }
  };
  visit(root, '');
  return out;
}

/** Parses every file under `root` (or under `root/subdir` when given) with a corpus name parser. */
export function scanDirectory(
  corpus: CorpusId,
  root: string,
  parse: (relativePath: string) => ParseResult,
  subdir?: string,
): CorpusScan {
  const files = subdir ? listFiles(join(root, subdir)).map((f) => `${subdir}/${f}`) : listFiles(root);
  const scan: CorpusScan = { corpus, root, clips: [], issues: [] };
  for (const file of files) {
    const result = parse(file);
    if (result.ok) scan.clips.push(result.clip);
    else scan.issues.push(result.issue);
  }
  return scan;
}
