import { type CorpusScan, clip, issue, type ParseResult, parseWavPath } from './clip.ts';
import { scanDirectory } from './walk.ts';

// RAVDESS (Livingstone & Russo 2018): Actor_NN/MM-VV-EE-II-SS-RR-AA.wav
// MM modality (03 audio-only), VV vocal channel (01 speech), EE emotion, II intensity,
// SS statement, RR repetition, AA actor (odd = male, even = female).

const EMOTION_CODES: Record<string, string> = {
  '01': 'neutral',
  '02': 'calm',
  '03': 'happy',
  '04': 'sad',
  '05': 'angry',
  '06': 'fear',
  '07': 'disgust',
  '08': 'surprise',
};
const INTENSITY_CODES: Record<string, string> = { '01': 'normal', '02': 'strong' };
const STATEMENTS: Record<string, string> = {
  '01': 'Kids are talking by the door',
  '02': 'Dogs are sitting by the door',
};
const NAME = /^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$/;
const ACTOR_DIR = /^Actor_(\d\d)$/;
/** The full corpus has 24 actors (this telephony copy holds 01–22). */
const MAX_ACTOR = 24;

export function parseRavdessName(relativePath: string): ParseResult {
  return parseWavPath('ravdess', relativePath, (stem, dirs, path) => {
    const m = NAME.exec(stem);
    if (!m) return issue('ravdess', path, 'malformed', `expected MM-VV-EE-II-SS-RR-AA.wav: ${path}`);
    const [, modality = '', channel = '', emo = '', inten = '', stmt = '', rep = '', actor = ''] = m;
    if (modality !== '03' || channel !== '01') {
      return issue('ravdess', path, 'unsupported', `only audio-only speech (03-01-…) is loaded: ${path}`);
    }
    const label = EMOTION_CODES[emo];
    const intensity = INTENSITY_CODES[inten];
    const text = STATEMENTS[stmt];
    const actorNumber = Number(actor);
    if (!label || !intensity || !text || actorNumber < 1 || actorNumber > MAX_ACTOR || rep === '00') {
      return issue(
        'ravdess',
        path,
        'unknown-code',
        `undefined emotion/intensity/statement/actor code: ${path}`,
      );
    }
    const folder = dirs.at(-1);
    const folderActor = folder ? ACTOR_DIR.exec(folder)?.[1] : undefined;
    if (folderActor !== undefined && folderActor !== actor) {
      return issue('ravdess', path, 'inconsistent', `file of actor ${actor} inside ${folder}: ${path}`);
    }
    return clip({
      corpus: 'ravdess',
      path,
      speaker: actor,
      label,
      gender: actorNumber % 2 === 1 ? 'm' : 'f',
      text,
      sentence: stmt,
      intensity,
      repetition: Number(rep),
    });
  });
}

export function scanRavdess(root: string): CorpusScan {
  return scanDirectory('ravdess', root, parseRavdessName);
}
