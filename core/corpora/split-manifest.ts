import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { VoicePulseError } from '../errors.ts';
import { CORPUS_IDS, type CorpusClip, type CorpusId } from './clip.ts';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

const ids = z.array(z.string().min(1));

/** Speakers (kind 'speaker') or TESS words (kind 'word') assigned to each split, pairwise disjoint. */
const groupProtocol = z
  .object({
    kind: z.enum(['speaker', 'word']),
    description: z.string(),
    train: ids,
    validation: ids,
    test: ids,
    /**
     * Folds for cross-validated training: a partition of the train and validation groups, each fold
     * the validation set of one network.
     */
    folds: z.array(ids.min(1)).min(2).optional(),
  })
  .refine((p) => {
    if (!p.folds) return true;
    const inFolds = p.folds.flat();
    const pool = new Set([...p.train, ...p.validation]);
    return (
      new Set(inFolds).size === inFolds.length &&
      inFolds.length === pool.size &&
      inFolds.every((g) => pool.has(g))
    );
  }, 'folds must partition the train and validation groups');
/** Train on some speakers, test on others; the training speakers' clips of `validationWords` validate. */
const crossSpeakerProtocol = z.object({
  kind: z.literal('cross-speaker'),
  description: z.string(),
  train: ids,
  test: ids,
  validationWords: ids,
});
const protocol = z
  .discriminatedUnion('kind', [groupProtocol, crossSpeakerProtocol])
  .refine(
    (p) => new Set([...p.train, ...p.test]).size === p.train.length + p.test.length,
    'train/test overlap',
  )
  .refine(
    (p) =>
      p.kind === 'cross-speaker' ||
      new Set([...p.train, ...p.validation]).size === p.train.length + p.validation.length,
    'train/validation overlap',
  )
  .refine(
    (p) =>
      p.kind === 'cross-speaker' ||
      new Set([...p.test, ...p.validation]).size === p.test.length + p.validation.length,
    'validation/test overlap',
  );
const corpusSplits = z
  .object({ default: z.string(), protocols: z.record(z.string(), protocol) })
  .refine((c) => c.default in c.protocols, 'default protocol is not defined');
const manifestSchema = z.object({
  version: z.literal(1),
  corpora: z.partialRecord(z.enum(CORPUS_IDS), corpusSplits),
});

export type SplitProtocol = z.infer<typeof protocol>;
export type SplitManifestData = z.infer<typeof manifestSchema>;
export type CorpusSplits = z.infer<typeof corpusSplits>;

export type SplitErrorCode =
  | 'INVALID_MANIFEST'
  | 'UNKNOWN_CORPUS'
  | 'UNKNOWN_PROTOCOL'
  | 'UNASSIGNED'
  /** Too few speakers for a speaker-disjoint train/validation/test split. */
  | 'TOO_FEW_SPEAKERS';

export class SplitError extends VoicePulseError<SplitErrorCode> {}

/** A validated split manifest: resolves any clip to its split under a named or the default protocol. */
export class SplitManifest {
  readonly data: SplitManifestData;

  constructor(data: unknown) {
    const parsed = manifestSchema.safeParse(data);
    if (!parsed.success)
      throw new SplitError('INVALID_MANIFEST', `invalid split manifest: ${parsed.error.message}`);
    this.data = parsed.data;
  }

  /** This manifest with `corpus`'s protocols set to `splits` (your own recordings' computed split). */
  withCorpus(corpus: CorpusId, splits: CorpusSplits): SplitManifest {
    return new SplitManifest({ ...this.data, corpora: { ...this.data.corpora, [corpus]: splits } });
  }

  protocolNames(corpus: CorpusId): string[] {
    return Object.keys(this.data.corpora[corpus]?.protocols ?? {});
  }

  protocol(corpus: CorpusId, name?: string): SplitProtocol {
    const entry = this.data.corpora[corpus];
    if (!entry) throw new SplitError('UNKNOWN_CORPUS', `no split protocols for corpus ${corpus}`);
    const chosen = name ?? entry.default;
    const p = entry.protocols[chosen];
    if (!p) throw new SplitError('UNKNOWN_PROTOCOL', `no protocol '${chosen}' for ${corpus}`);
    return p;
  }

  /** The default protocol's folds of `corpus` (see groupProtocol), if it has any. */
  folds(corpus: CorpusId): string[][] | undefined {
    if (!this.data.corpora[corpus]) return undefined;
    const p = this.protocol(corpus);
    return p.kind === 'cross-speaker' ? undefined : p.folds;
  }

  splitOf(clip: CorpusClip, protocolName?: string): Split {
    const p = this.protocol(clip.corpus, protocolName);
    const split = resolveSplit(p, clip);
    if (!split) {
      const key = p.kind === 'word' ? `word '${clip.text ?? ''}'` : `speaker '${clip.speaker}'`;
      throw new SplitError(
        'UNASSIGNED',
        `${clip.corpus} ${key} of ${clip.path} is in no split of its protocol`,
      );
    }
    return split;
  }
}

function resolveSplit(p: SplitProtocol, clip: CorpusClip): Split | undefined {
  if (p.kind === 'cross-speaker') {
    if (p.test.includes(clip.speaker)) return 'test';
    if (!p.train.includes(clip.speaker)) return undefined;
    return clip.text !== undefined && p.validationWords.includes(clip.text) ? 'validation' : 'train';
  }
  const key = p.kind === 'word' ? clip.text : clip.speaker;
  return key === undefined ? undefined : SPLITS.find((s) => p[s].includes(key));
}

export const SPLIT_MANIFEST_URL = new URL('./splits.json', import.meta.url);

let committed: SplitManifest | undefined;

/** The committed manifest core/corpora/splits.json (cached), or the manifest at `path`. */
export function loadSplitManifest(path?: string): SplitManifest {
  if (path !== undefined) return new SplitManifest(readJson(path));
  committed ??= new SplitManifest(readJson(SPLIT_MANIFEST_URL));
  return committed;
}

function readJson(path: string | URL): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SplitError(
      'INVALID_MANIFEST',
      `cannot read split manifest ${String(path)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The split of `clip` under the committed manifest's default (or named) protocol for its corpus. */
export function splitOf(clip: CorpusClip, protocolName?: string): Split {
  return loadSplitManifest().splitOf(clip, protocolName);
}
