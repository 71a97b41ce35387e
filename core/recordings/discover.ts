// The recordings a command line names: files as given, folders searched recursively for audio
// files, and glob patterns (tinyglobby). Each recording is listed once, in path order; a name that
// matches nothing is reported, not fatal.
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/** Extensions searched for in folders (explicitly named files are read whatever their name). */
export const AUDIO_EXTENSIONS = ['.wav', '.mp3', '.flac', '.opus', '.ogg', '.oga', '.m4a', '.aac'] as const;

const isAudio = (name: string) => AUDIO_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

export interface Discovered {
  files: string[];
  /** Arguments that named nothing (no such file, an empty glob). */
  missing: string[];
}

function walk(dir: string, out: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // unreadable folder: nothing in it can be analysed either
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, out);
    else if (e.isFile() && isAudio(e.name)) out.push(path);
  }
}

export async function discoverRecordings(args: readonly string[], cwd = process.cwd()): Promise<Discovered> {
  const found = new Set<string>();
  const missing: string[] = [];
  for (const arg of args) {
    const path = resolve(cwd, arg);
    const stat = statSync(path, { throwIfNoEntry: false });
    let matched: string[] = [];
    if (stat?.isFile()) matched = [path];
    else if (stat?.isDirectory()) walk(path, matched);
    else if (isDynamicPattern(arg))
      matched = (await glob(arg, { cwd, absolute: true, onlyFiles: true })).map((f) => resolve(f));
    for (const f of matched) found.add(f);
    if (matched.length === 0 && !stat?.isDirectory()) missing.push(arg);
  }
  return { files: [...found].sort(), missing };
}
