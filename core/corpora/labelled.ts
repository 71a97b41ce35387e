// Your own labelled recordings as a corpus ('custom'): a folder of audio and a `file,emotion,speaker`
// CSV naming each recording's emotion and speaker, so `voicepulse train` can retrain or fine-tune on
// data you have rights to and `voicepulse eval` can measure on it. Policy: rows are checked one by
// one and a bad row becomes a ParseIssue (never thrown), as a bad file name does in the corpus
// loaders; only an unreadable or headerless-and-malformed CSV as a whole is an error.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { EMOTIONS } from '../emotions.ts';
import { VoicePulseError } from '../errors.ts';
import { type CorpusScan, clip, issue, type ParseResult } from './clip.ts';

/** The labels file a corpus folder holds when no other is named. */
export const LABELS_FILE = 'labels.csv';

/** Audio the loaders decode (core/audio/decode.ts): WAV, MP3, FLAC, Ogg/Opus. */
const AUDIO = /\.(wav|mp3|flac|ogg|opus)$/i;

export type LabelledCorpusErrorCode =
  /** The labels file cannot be read or is not CSV. */
  | 'UNREADABLE_LABELS'
  /** The header names no file, emotion and speaker columns. */
  | 'BAD_HEADER';

export class LabelledCorpusError extends VoicePulseError<LabelledCorpusErrorCode> {}

/** One row of a labels file. */
export interface LabelRow {
  /** As written: relative to the corpus folder, or absolute. */
  file: string;
  emotion: string;
  /** Empty where the file has no speaker column (eval's `file,emotion`). */
  speaker: string;
  /** 1-based line in the file, for messages. */
  line: number;
}

/**
 * The rows of a labels CSV. A header row naming `file`, `emotion` and optionally `speaker` (any
 * order, any case, other columns ignored) is used when present; otherwise the columns are
 * file, emotion, speaker in that order.
 */
export function parseLabelRows(text: string, source: string): LabelRow[] {
  let records: string[][];
  try {
    records = parseCsv(text, { relaxColumnCount: true, skipEmptyLines: true, trim: true, bom: true });
  } catch (err) {
    throw new LabelledCorpusError('UNREADABLE_LABELS', `${source}: not CSV: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const first = (records[0] ?? []).map((c) => c.toLowerCase());
  const hasHeader = first.includes('file') || first.includes('emotion');
  const col = (name: string, fallback: number) => (hasHeader ? first.indexOf(name) : fallback);
  const [file, emotion, speaker] = [col('file', 0), col('emotion', 1), col('speaker', 2)];
  if (file < 0 || emotion < 0)
    throw new LabelledCorpusError('BAD_HEADER', `${source}: the header must name file and emotion columns`);
  return records.slice(hasHeader ? 1 : 0).map((r, i) => ({
    file: r[file] ?? '',
    emotion: (r[emotion] ?? '').toLowerCase(),
    speaker: speaker < 0 ? '' : (r[speaker] ?? ''),
    line: i + (hasHeader ? 2 : 1),
  }));
}

/** A row as a clip of the 'custom' corpus (path relative to `root`), or why it is skipped. */
export function labelledClip(row: LabelRow, root: string): ParseResult {
  const full = isAbsolute(row.file) ? row.file : join(root, row.file);
  const path = relative(root, full).split(/[/\\]/).join('/');
  const at = `line ${row.line} (${row.file})`;
  if (!AUDIO.test(row.file))
    return issue('custom', path, 'not-wav', `${at}: not a WAV, MP3, FLAC or Ogg file`);
  if (!(EMOTIONS as readonly string[]).includes(row.emotion))
    return issue(
      'custom',
      path,
      'unknown-code',
      `${at}: emotion '${row.emotion}' is not one of ${EMOTIONS.join(', ')}`,
    );
  if (row.speaker === '') return issue('custom', path, 'malformed', `${at}: no speaker`);
  if (path.startsWith('../') || !existsSync(full) || !statSync(full).isFile())
    return issue('custom', path, 'missing-file', `${at}: no such file under ${root}`);
  return clip({ corpus: 'custom', path, speaker: row.speaker, label: row.emotion });
}

/**
 * The labelled recordings in `root`, listed by `labels` (default `<root>/labels.csv`): every row
 * with an audio file present, one of the six emotions and a speaker becomes a clip; the others are
 * issues. A file listed twice is one clip (the first row), the repeat an issue.
 */
export function scanLabelled(root: string, labels = join(root, LABELS_FILE)): CorpusScan {
  let text: string;
  try {
    text = readFileSync(labels, 'utf8');
  } catch (err) {
    throw new LabelledCorpusError('UNREADABLE_LABELS', `${labels}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const scan: CorpusScan = { corpus: 'custom', root, clips: [], issues: [] };
  const seen = new Set<string>();
  for (const row of parseLabelRows(text, labels)) {
    const result = labelledClip(row, root);
    if (!result.ok) scan.issues.push(result.issue);
    else if (seen.has(result.clip.path))
      scan.issues.push({
        corpus: 'custom',
        path: result.clip.path,
        code: 'inconsistent',
        message: `line ${row.line}: ${row.file} is listed more than once`,
      });
    else {
      seen.add(result.clip.path);
      scan.clips.push(result.clip);
    }
  }
  return scan;
}
