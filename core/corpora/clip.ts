import { type Emotion, isEmotion } from '../emotions.ts';

/** The corpora the loaders know, then 'custom': your own labelled recordings (labelled.ts). */
export const CORPUS_IDS = ['ravdess', 'cremad', 'tess', 'savee', 'emovo', 'urdu', 'custom'] as const;
export type CorpusId = (typeof CORPUS_IDS)[number];

/**
 * One labelled recording. `label` is the corpus class in a shared English vocabulary
 * (the six emotions plus 'calm', 'surprise', 'pleasant_surprise'); `emotion` is that label
 * when it is one of the six target classes, else null.
 */
export interface CorpusClip {
  corpus: CorpusId;
  /** Relative to the corpus root directory, '/'-separated. */
  path: string;
  speaker: string;
  label: string;
  emotion: Emotion | null;
  gender?: 'f' | 'm';
  /** What was said, where the corpus documents it (RAVDESS statement, CREMA-D sentence, TESS word). */
  text?: string;
  /** Corpus sentence code (RAVDESS '01', CREMA-D 'DFA', EMOVO 'b1', SAVEE 'sa03'). */
  sentence?: string;
  /** Corpus intensity level (RAVDESS normal/strong, CREMA-D low/medium/high/unspecified). */
  intensity?: string;
  repetition?: number;
}

/** A clip whose label is one of the six target emotions. */
export type SixClassClip = CorpusClip & { emotion: Emotion };

export type ParseIssueCode =
  /** Not a .wav file. */
  | 'not-wav'
  /** The file name does not follow the corpus naming scheme. */
  | 'malformed'
  /** A field holds a code the corpus does not define. */
  | 'unknown-code'
  /** The folder and the file name disagree (speaker or emotion). */
  | 'inconsistent'
  /** A valid name for material outside this loader's scope (e.g. RAVDESS song or video). */
  | 'unsupported'
  /** A documented defect of the corpus: excluded on purpose. */
  | 'known-defect'
  /** A labels file lists a recording that is not there (labelled.ts). */
  | 'missing-file';

export interface ParseIssue {
  corpus: CorpusId;
  path: string;
  code: ParseIssueCode;
  message: string;
}

export type ParseResult = { ok: true; clip: CorpusClip } | { ok: false; issue: ParseIssue };

/** Result of scanning one corpus directory: the clips, and every file that did not become one. */
export interface CorpusScan {
  corpus: CorpusId;
  root: string;
  clips: CorpusClip[];
  issues: ParseIssue[];
}

export function issue(corpus: CorpusId, path: string, code: ParseIssueCode, message: string): ParseResult {
  return { ok: false, issue: { corpus, path, code, message } };
}

/** Builds a clip, deriving `emotion` from `label` so the two can never disagree. */
export function clip(fields: Omit<CorpusClip, 'emotion'>): ParseResult {
  return { ok: true, clip: { ...fields, emotion: isEmotion(fields.label) ? fields.label : null } };
}

/** Keeps the clips labelled with one of the six target emotions (the default training set). */
export function sixClassOnly(clips: readonly CorpusClip[]): SixClassClip[] {
  return clips.filter((c): c is SixClassClip => c.emotion !== null);
}

export function countIssues(issues: readonly ParseIssue[]): Partial<Record<ParseIssueCode, number>> {
  const counts: Partial<Record<ParseIssueCode, number>> = {};
  for (const i of issues) counts[i.code] = (counts[i.code] ?? 0) + 1;
  return counts;
}

/**
 * Shared front end of every name parser: rejects non-WAV paths, then hands the file stem and
 * its folders (outermost first) to the corpus-specific parser.
 */
export function parseWavPath(
  corpus: CorpusId,
  relativePath: string,
  parseStem: (stem: string, dirs: string[], path: string) => ParseResult,
): ParseResult {
  const dirs = relativePath.split(/[/\\]/).filter((p) => p.length > 0);
  const base = dirs.pop() ?? '';
  const normalized = [...dirs, base].join('/');
  const match = /^(.+)\.wav$/i.exec(base);
  if (!match) return issue(corpus, normalized, 'not-wav', `not a .wav file: ${normalized}`);
  return parseStem(match[1]!, dirs, normalized);
}
