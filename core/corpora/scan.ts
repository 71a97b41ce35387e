import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VoicePulseError } from '../errors.ts';
import type { CorpusClip, CorpusId, CorpusScan } from './clip.ts';
import { CORPUS_IDS } from './clip.ts';
import { scanCremad } from './cremad.ts';
import { scanEmovo } from './emovo.ts';
import { scanLabelled } from './labelled.ts';
import { scanRavdess } from './ravdess.ts';
import { scanSavee } from './savee.ts';
import { scanTess } from './tess.ts';
import { scanUrdu } from './urdu.ts';

const SCANNERS: Record<CorpusId, (root: string, labels?: string) => CorpusScan> = {
  ravdess: scanRavdess,
  cremad: scanCremad,
  tess: scanTess,
  savee: scanSavee,
  emovo: scanEmovo,
  urdu: scanUrdu,
  custom: scanLabelled,
};

/** Per-corpus root directories overriding `<dataRoot>/<corpus>` (e.g. a user's own CREMA-D copy). */
export type CorpusRoots = Partial<Record<CorpusId, string>>;

/** Where each corpus lives: its override, else `<dataRoot>/<corpus id>` (e.g. data/ravdess, data/cremad). */
export function corpusRoots(
  dataRoot: string | undefined,
  overrides: CorpusRoots = {},
): Record<CorpusId, string | undefined> {
  const roots = {} as Record<CorpusId, string | undefined>;
  for (const id of CORPUS_IDS)
    roots[id] = overrides[id] ?? (dataRoot === undefined ? undefined : join(dataRoot, id));
  return roots;
}

export interface ScanOptions {
  roots?: CorpusRoots;
  /** The labels CSV of your own recordings ('custom'), when not `<custom root>/labels.csv`. */
  labels?: string;
}

/**
 * Scans every corpus whose directory exists (absent corpora are simply not in the result).
 * An override pointing at a missing directory is an error: the user asked for that corpus.
 */
export function scanCorporaReport(dataRoot: string | undefined, options: ScanOptions = {}): CorpusScan[] {
  const roots = corpusRoots(dataRoot, options.roots);
  const scans: CorpusScan[] = [];
  for (const id of CORPUS_IDS) {
    const root = roots[id];
    if (root === undefined) continue;
    const present = existsSync(root) && statSync(root).isDirectory();
    if (!present) {
      if (options.roots?.[id] !== undefined) throw new CorpusRootError(id, root);
      continue;
    }
    scans.push(SCANNERS[id](root, id === 'custom' ? options.labels : undefined));
  }
  return scans;
}

/** All clips of every corpus present under `dataRoot` (see scanCorporaReport for the rejected files). */
export function scanCorpora(dataRoot: string | undefined, options: ScanOptions = {}): CorpusClip[] {
  return scanCorporaReport(dataRoot, options).flatMap((s) => s.clips);
}

/** A corpus folder the caller named explicitly is not there. */
export class CorpusRootError extends VoicePulseError<'NOT_A_DIRECTORY'> {
  constructor(
    readonly corpus: CorpusId,
    readonly root: string,
  ) {
    super('NOT_A_DIRECTORY', `${corpus} root is not a directory: ${root}`);
  }
}
