import { type CorpusScan, clip, issue, type ParseResult, parseWavPath } from './clip.ts';
import { scanDirectory } from './walk.ts';

// SAVEE (Jackson & Haq 2014): DC_a01.wav (flat release) or DC/a01.wav (original AudioData folders);
// four male British English speakers. Emotion codes are one or two letters: 'sa' sadness vs 'su' surprise.

export const SAVEE_SPEAKERS = ['DC', 'JE', 'JK', 'KL'] as const;
const SPEAKER_SET: ReadonlySet<string> = new Set(SAVEE_SPEAKERS);

const EMOTION_CODES: Record<string, string> = {
  a: 'angry',
  d: 'disgust',
  f: 'fear',
  h: 'happy',
  n: 'neutral',
  sa: 'sad',
  su: 'surprise',
};
const FLAT_NAME = /^([A-Z]{2})_([a-z]{1,2})(\d{2})$/;
const BARE_NAME = /^([a-z]{1,2})(\d{2})$/;

export function parseSaveeName(relativePath: string): ParseResult {
  return parseWavPath('savee', relativePath, (stem, dirs, path) => {
    const flat = FLAT_NAME.exec(stem);
    const bare = flat ? null : BARE_NAME.exec(stem);
    const speaker = flat ? flat[1] : dirs.at(-1);
    const code = flat ? flat[2] : bare?.[1];
    const number = flat ? flat[3] : bare?.[2];
    if (!speaker || !code || !number) {
      return issue('savee', path, 'malformed', `expected DC_a01.wav or DC/a01.wav: ${path}`);
    }
    const label = EMOTION_CODES[code];
    if (!SPEAKER_SET.has(speaker) || !label || number === '00') {
      return issue('savee', path, 'unknown-code', `undefined speaker/emotion code: ${path}`);
    }
    return clip({ corpus: 'savee', path, speaker, label, gender: 'm', sentence: `${code}${number}` });
  });
}

export function scanSavee(root: string): CorpusScan {
  return scanDirectory('savee', root, parseSaveeName);
}
