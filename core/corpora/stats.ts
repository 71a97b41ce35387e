import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { readWavInfo, WavError } from '../audio/wav.ts';
import { EMOTIONS } from '../emotions.ts';
import { CORPUS_IDS, type CorpusId, type CorpusScan, type ParseIssue } from './clip.ts';
import { SPLITS, type Split, SplitError, type SplitManifest } from './split-manifest.ts';

/** Bytes read per file: far more than a usual header (58 bytes in the shipped corpora). */
const HEAD_BYTES = 4096;

/**
 * Duration of a WAV file from its header, reading only its first HEAD_BYTES. readWavInfo clamps
 * chunk sizes to the bytes it is given, so it gets a buffer of the file's true length with only the
 * head filled; should the header itself run past the head, the whole file is read instead.
 */
export function wavFileDurationMs(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(size);
    const got = readSync(fd, bytes, 0, Math.min(size, HEAD_BYTES), 0);
    try {
      return readWavInfo(bytes).durationMs;
    } catch (err) {
      if (got >= size || !(err instanceof WavError)) throw err;
    }
  } finally {
    closeSync(fd);
  }
  return readWavInfo(readFileSync(path)).durationMs;
}

export type StatsSplit = Split | 'unassigned';

/** One cell of the corpus statistics: clips of one corpus, split, class label and speaker. */
export interface StatsRow {
  corpus: CorpusId;
  split: StatsSplit;
  /** The clip's label: one of the six emotions, or 'calm', 'surprise', 'pleasant_surprise'. */
  emotion: string;
  speaker: string;
  files: number;
  seconds: number;
}

export interface UnreadableFile {
  corpus: CorpusId;
  path: string;
  message: string;
}

export interface CorpusStats {
  rows: StatsRow[];
  /** Files whose names did not yield a clip (malformed, known defects…). */
  issues: ParseIssue[];
  /** Clips whose WAV header could not be read: left out of the rows. */
  unreadable: UnreadableFile[];
}

const LABEL_ORDER: readonly string[] = [...EMOTIONS, 'calm', 'surprise', 'pleasant_surprise'];
const SPLIT_ORDER: readonly StatsSplit[] = [...SPLITS, 'unassigned'];

/** Orders labels: the six emotions first (in EMOTIONS order), then the others. */
export function compareLabels(a: string, b: string): number {
  const rank = (l: string) => (LABEL_ORDER.includes(l) ? LABEL_ORDER.indexOf(l) : LABEL_ORDER.length);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function splitOrUnassigned(manifest: SplitManifest, clip: CorpusScan['clips'][number]): StatsSplit {
  try {
    return manifest.splitOf(clip);
  } catch (err) {
    if (err instanceof SplitError && (err.code === 'UNASSIGNED' || err.code === 'UNKNOWN_CORPUS'))
      return 'unassigned';
    throw err;
  }
}

/** Counts files and header durations per corpus × split (default protocol) × label × speaker. */
export function corpusStats(scans: readonly CorpusScan[], manifest: SplitManifest): CorpusStats {
  const cells = new Map<string, StatsRow>();
  const unreadable: UnreadableFile[] = [];
  for (const scan of scans) {
    for (const clip of scan.clips) {
      let ms: number;
      try {
        ms = wavFileDurationMs(join(scan.root, clip.path));
      } catch (err) {
        unreadable.push({ corpus: clip.corpus, path: clip.path, message: (err as Error).message });
        continue;
      }
      const split = splitOrUnassigned(manifest, clip);
      const key = [clip.corpus, split, clip.label, clip.speaker].join('\0');
      const row = cells.get(key) ?? {
        corpus: clip.corpus,
        split,
        emotion: clip.label,
        speaker: clip.speaker,
        files: 0,
        seconds: 0,
      };
      row.files += 1;
      row.seconds += ms / 1000;
      cells.set(key, row);
    }
  }
  const rows = [...cells.values()].map((r) => ({ ...r, seconds: Math.round(r.seconds * 1000) / 1000 }));
  rows.sort(
    (a, b) =>
      CORPUS_IDS.indexOf(a.corpus) - CORPUS_IDS.indexOf(b.corpus) ||
      SPLIT_ORDER.indexOf(a.split) - SPLIT_ORDER.indexOf(b.split) ||
      compareLabels(a.emotion, b.emotion) ||
      (a.speaker < b.speaker ? -1 : a.speaker > b.speaker ? 1 : 0),
  );
  return { rows, issues: scans.flatMap((s) => s.issues), unreadable };
}
