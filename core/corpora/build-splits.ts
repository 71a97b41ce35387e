import { balancedGroupSplit, type SplitFractions, type SplitGroup } from './balanced-split.ts';
import type { CorpusClip, CorpusId } from './clip.ts';
import { CREMAD_ACTORS } from './cremad.ts';
import { SAVEE_SPEAKERS } from './savee.ts';
import {
  type CorpusSplits,
  SplitError,
  type SplitManifestData,
  type SplitProtocol,
} from './split-manifest.ts';
import { TESS_SPEAKERS } from './tess.ts';

// Bump to regenerate every seeded split (and say why in the commit).
const SEED = 'voicepulse-splits-v1';

/** Corpora whose protocols are computed from the files present (the others from known speaker lists). */
export const SCANNED_SPLIT_CORPORA = [
  'ravdess',
  'tess',
  'emovo',
  'urdu',
] as const satisfies readonly CorpusId[];

const SEVENTY_FIFTEEN_FIFTEEN: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 };

/** Groups clips by `key`, counting each group's clips per `stratum`. */
function groupsOf(
  clips: readonly CorpusClip[],
  key: (c: CorpusClip) => string,
  stratum: (c: CorpusClip) => string,
): SplitGroup[] {
  const groups = new Map<string, Record<string, number>>();
  for (const c of clips) {
    const strata = groups.get(key(c)) ?? {};
    const s = stratum(c);
    strata[s] = (strata[s] ?? 0) + 1;
    groups.set(key(c), strata);
  }
  return [...groups].map(([id, strata]) => ({ id, strata }));
}

const byLabelAndGender = (c: CorpusClip): string => `${c.label}|${c.gender ?? '?'}`;

function speakerProtocol(
  corpus: CorpusId,
  clips: readonly CorpusClip[],
  fractions: SplitFractions,
  description: string,
): SplitProtocol {
  const groups = groupsOf(clips, (c) => c.speaker, byLabelAndGender);
  return {
    kind: 'speaker',
    description,
    ...balancedGroupSplit(groups, fractions, `${SEED}/${corpus}/speaker`),
  };
}

/**
 * `p` with speaker folds for cross-validated training: the validation speakers are one fold and the
 * training speakers are cut into three more of about 5, 5 and 4 fourteenths of them (RAVDESS: 14
 * actors), balanced like the splits (balancedGroupSplit's three parts).
 */
function withFolds(p: SplitProtocol, corpus: CorpusId, clips: readonly CorpusClip[]): SplitProtocol {
  if (p.kind !== 'speaker') return p;
  const train = clips.filter((c) => p.train.includes(c.speaker));
  const parts = balancedGroupSplit(
    groupsOf(train, (c) => c.speaker, byLabelAndGender),
    { train: 5, validation: 5, test: 4 },
    `${SEED}/${corpus}/folds`,
  );
  return { ...p, folds: [p.validation, parts.train, parts.validation, parts.test] };
}

/**
 * The split manifest for the given clips (normally every clip of the data root). CREMA-D and SAVEE
 * are split from their documented speaker lists, so no copy of them is needed.
 */
export function buildSplitManifest(clips: readonly CorpusClip[]): SplitManifestData {
  const of = (corpus: CorpusId) => clips.filter((c) => c.corpus === corpus);
  const corpora: SplitManifestData['corpora'] = {};

  const ravdess = of('ravdess');
  if (ravdess.length > 0) {
    const n = new Set(ravdess.map((c) => c.speaker)).size;
    const held = 4;
    corpora.ravdess = {
      default: 'speaker',
      protocols: {
        speaker: withFolds(
          speakerProtocol(
            'ravdess',
            ravdess,
            { train: n - 2 * held, validation: held, test: held },
            `actor-disjoint, ${n - 2 * held}/${held}/${held} actors, gender- and class-balanced; 4 training folds`,
          ),
          'ravdess',
          ravdess,
        ),
      },
    };
  }

  corpora.cremad = {
    default: 'speaker',
    protocols: {
      speaker: {
        kind: 'speaker',
        description: 'actor-disjoint, ~70/15/15% of the 91 actors (1001-1091), seeded',
        ...balancedGroupSplit(
          CREMAD_ACTORS.map((id) => ({ id, strata: { clips: 1 } })),
          SEVENTY_FIFTEEN_FIFTEEN,
          `${SEED}/cremad/speaker`,
          1,
        ),
      },
    },
  };

  const tess = of('tess');
  if (tess.length > 0) {
    const words = groupsOf(
      tess,
      (c) => c.text ?? '',
      (c) => `${c.label}|${c.speaker}`,
    );
    const byWord = balancedGroupSplit(words, SEVENTY_FIFTEEN_FIFTEEN, `${SEED}/tess/word`);
    const cross = (train: string, test: string): SplitProtocol => ({
      kind: 'cross-speaker',
      description: `train on ${train}, test on ${test}; ${train}'s clips of the word protocol's validation words validate`,
      train: [train],
      test: [test],
      validationWords: byWord.validation,
    });
    const [oaf, yaf] = TESS_SPEAKERS;
    corpora.tess = {
      default: 'word',
      protocols: {
        word: {
          kind: 'word',
          description: 'word-disjoint, ~70/15/15% of the words, both speakers in every split',
          ...byWord,
        },
        [`${oaf}-to-${yaf}`.toLowerCase()]: cross(oaf, yaf),
        [`${yaf}-to-${oaf}`.toLowerCase()]: cross(yaf, oaf),
      },
    };
  }

  // Leave-one-speaker-out: fold k tests speaker k and validates on the next speaker.
  const saveeFolds: Record<string, SplitProtocol> = {};
  SAVEE_SPEAKERS.forEach((test, k) => {
    const validation = SAVEE_SPEAKERS[(k + 1) % SAVEE_SPEAKERS.length]!;
    saveeFolds[`loso-${test}`] = {
      kind: 'speaker',
      description: `leave-one-speaker-out fold ${k + 1}/4: test ${test}, validate ${validation}`,
      train: SAVEE_SPEAKERS.filter((s) => s !== test && s !== validation),
      validation: [validation],
      test: [test],
    };
  });
  corpora.savee = { default: `loso-${SAVEE_SPEAKERS[0]}`, protocols: saveeFolds };

  const emovo = of('emovo');
  if (emovo.length > 0) {
    corpora.emovo = {
      default: 'speaker',
      protocols: {
        speaker: speakerProtocol(
          'emovo',
          emovo,
          { train: 4, validation: 1, test: 1 },
          'speaker-disjoint, 4/1/1 speakers, genders balanced',
        ),
      },
    };
  }

  const urdu = of('urdu');
  if (urdu.length > 0) {
    corpora.urdu = {
      default: 'speaker',
      protocols: {
        speaker: speakerProtocol(
          'urdu',
          urdu,
          SEVENTY_FIFTEEN_FIFTEEN,
          'speaker-disjoint by name id, ~70/15/15% of clips, class- and gender-balanced',
        ),
      },
    };
  }

  return { version: 1, corpora };
}

/**
 * The split of your own labelled recordings (corpus 'custom', labelled.ts): speaker-disjoint,
 * ~70/15/15 % of the clips, class-balanced, seeded by the speaker list alone, so the same
 * recordings always split the same way. Computed when they are loaded; never committed.
 */
export function labelledSplits(clips: readonly CorpusClip[]): CorpusSplits {
  const own = clips.filter((c) => c.corpus === 'custom');
  const speakers = new Set(own.map((c) => c.speaker)).size;
  const p = speakerProtocol(
    'custom',
    own,
    SEVENTY_FIFTEEN_FIFTEEN,
    'speaker-disjoint, ~70/15/15% of clips, class-balanced',
  );
  if (
    p.kind !== 'cross-speaker' &&
    (p.train.length === 0 || p.validation.length === 0 || p.test.length === 0)
  )
    throw new SplitError(
      'TOO_FEW_SPEAKERS',
      `your recordings have ${speakers} speaker(s); a speaker-disjoint train/validation/test split needs at least 3 (better 10 or more)`,
    );
  return { default: 'speaker', protocols: { speaker: p } };
}

/** Stable JSON for the committed manifest: two-space indent, id lists kept on one line. */
export function formatSplitManifest(data: SplitManifestData): string {
  const json = JSON.stringify(data, null, 2);
  const stringList = /\[\s*"(?:[^"\\]|\\.)*"(?:,\s*"(?:[^"\\]|\\.)*")*\s*\]/g;
  const oneLine = (list: string) =>
    `[${(JSON.parse(list) as string[]).map((s) => JSON.stringify(s)).join(', ')}]`;
  return `${json.replace(stringList, oneLine)}\n`;
}
