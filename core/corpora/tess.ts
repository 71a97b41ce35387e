import { type CorpusScan, clip, issue, type ParseResult, parseWavPath } from './clip.ts';
import { scanDirectory } from './walk.ts';

// TESS (Dupuis & Pichora-Fuller 2010): OAF/OAF_<word>_<emotion>.wav and YAF/YAF_<word>_<emotion>.wav,
// two female speakers saying "Say the word ___". One OAF file is named OA_bite_neutral.wav (sic).

export const TESS_SPEAKERS = ['OAF', 'YAF'] as const;

const EMOTION_CODES: Record<string, string> = {
  angry: 'angry',
  disgust: 'disgust',
  fear: 'fear',
  happy: 'happy',
  neutral: 'neutral',
  ps: 'pleasant_surprise',
  sad: 'sad',
};
const SPEAKER_PREFIXES: Record<string, string> = { OAF: 'OAF', YAF: 'YAF', OA: 'OAF' };
const NAME = /^([A-Z]+)_([a-z]+)_([a-z]+)$/i;

export function parseTessName(relativePath: string): ParseResult {
  return parseWavPath('tess', relativePath, (stem, dirs, path) => {
    const m = NAME.exec(stem);
    if (!m) return issue('tess', path, 'malformed', `expected <speaker>_<word>_<emotion>.wav: ${path}`);
    const [, prefix = '', word = '', emo = ''] = m;
    const speaker = SPEAKER_PREFIXES[prefix.toUpperCase()];
    const label = EMOTION_CODES[emo.toLowerCase()];
    if (!speaker || !label)
      return issue('tess', path, 'unknown-code', `undefined speaker/emotion code: ${path}`);
    const folder = dirs.at(-1)?.toUpperCase();
    if (folder !== undefined && folder in SPEAKER_PREFIXES && SPEAKER_PREFIXES[folder] !== speaker) {
      return issue('tess', path, 'inconsistent', `file of ${speaker} inside folder ${dirs.at(-1)}: ${path}`);
    }
    return clip({ corpus: 'tess', path, speaker, label, gender: 'f', text: word.toLowerCase() });
  });
}

export function scanTess(root: string): CorpusScan {
  return scanDirectory('tess', root, parseTessName);
}
