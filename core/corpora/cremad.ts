import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type CorpusScan, clip, issue, type ParseResult, parseWavPath } from './clip.ts';
import { scanDirectory } from './walk.ts';

// CREMA-D (Cao et al. 2014): AudioWAV/AAAA_SSS_EEE_II.wav — actor 1001–1091, sentence code,
// emotion, intensity. Not shipped with VoicePulse data; users point the loader at their own copy.

export const CREMAD_ACTORS: readonly string[] = Array.from({ length: 91 }, (_, i) => String(1001 + i));
const ACTOR_SET: ReadonlySet<string> = new Set(CREMAD_ACTORS);

const SENTENCES: Record<string, string> = {
  IEO: "It's eleven o'clock",
  TIE: 'That is exactly what happened',
  IOM: "I'm on my way to the meeting",
  IWW: 'I wonder what this is about',
  TAI: 'The airplane is almost full',
  MTI: 'Maybe tomorrow it will be cold',
  IWL: 'I would like a new alarm clock',
  ITH: "I think I have a doctor's appointment",
  DFA: "Don't forget a jacket",
  ITS: "I think I've seen this before",
  TSI: 'The surface is slick',
  WSI: "We'll stop in a couple of minutes",
};
const EMOTION_CODES: Record<string, string> = {
  ANG: 'angry',
  DIS: 'disgust',
  FEA: 'fear',
  HAP: 'happy',
  NEU: 'neutral',
  SAD: 'sad',
};
const INTENSITY_CODES: Record<string, string> = { LO: 'low', MD: 'medium', HI: 'high', XX: 'unspecified' };

/**
 * Documented defects (data README), keyed by actor_sentence_emotion: excluded from scans.
 * The byte-identical pairs are dropped on both sides since neither label can be trusted.
 */
export const CREMAD_KNOWN_DEFECTS: Readonly<Record<string, string>> = {
  '1076_MTI_SAD': 'silent recording',
  '1006_TIE_HAP': 'byte-identical to 1006_TIE_NEU with a different label',
  '1006_TIE_NEU': 'byte-identical to 1006_TIE_HAP with a different label',
  '1013_WSI_DIS': 'byte-identical to 1013_WSI_SAD with a different label',
  '1013_WSI_SAD': 'byte-identical to 1013_WSI_DIS with a different label',
  '1017_IWW_ANG': 'byte-identical to 1017_IWW_FEA with a different label',
  '1017_IWW_FEA': 'byte-identical to 1017_IWW_ANG with a different label',
};

const NAME = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$/;

export function parseCremadName(relativePath: string): ParseResult {
  return parseWavPath('cremad', relativePath, (stem, _dirs, path) => {
    const m = NAME.exec(stem);
    if (!m) return issue('cremad', path, 'malformed', `expected AAAA_SSS_EEE_II.wav: ${path}`);
    const [, actor = '', sentence = '', emo = '', inten = ''] = m;
    const label = EMOTION_CODES[emo];
    const intensity = INTENSITY_CODES[inten];
    const text = SENTENCES[sentence];
    if (!ACTOR_SET.has(actor) || !label || !intensity || !text) {
      return issue(
        'cremad',
        path,
        'unknown-code',
        `undefined actor/sentence/emotion/intensity code: ${path}`,
      );
    }
    const defect = CREMAD_KNOWN_DEFECTS[`${actor}_${sentence}_${emo}`];
    if (defect) return issue('cremad', path, 'known-defect', `${defect}: ${path}`);
    return clip({ corpus: 'cremad', path, speaker: actor, label, text, sentence, intensity });
  });
}

/** Scans a CREMA-D copy: its AudioWAV folder when `root` is the repository root, else `root` itself. */
export function scanCremad(root: string): CorpusScan {
  const sub = existsSync(join(root, 'AudioWAV')) ? 'AudioWAV' : undefined;
  return scanDirectory('cremad', root, parseCremadName, sub);
}
