import { type CorpusScan, clip, issue, type ParseResult, parseWavPath } from './clip.ts';
import { scanDirectory } from './walk.ts';

// URDU (Latif et al. 2018): <Emotion>/S<G><n>_F<k>_<E><nn…>.wav — speaker S<G><n> (G: M male,
// F female), F<k> the speaker's file number, E the emotion letter matching the folder, then a running
// number (written 01…09, 010…099, 0100 in the release). Four classes, no disgust or fear.

const EMOTION_LETTERS: Record<string, string> = { A: 'angry', H: 'happy', N: 'neutral', S: 'sad' };
const EMOTION_FOLDERS: Record<string, string> = {
  angry: 'angry',
  happy: 'happy',
  neutral: 'neutral',
  sad: 'sad',
};
const NAME = /^(S([MF])\d+)_F\d+_([A-Z])\d+$/;

export function parseUrduName(relativePath: string): ParseResult {
  return parseWavPath('urdu', relativePath, (stem, dirs, path) => {
    const m = NAME.exec(stem);
    if (!m) return issue('urdu', path, 'malformed', `expected S<G><n>_F<k>_<E><nnn>.wav: ${path}`);
    const [, speaker = '', gender = '', letter = ''] = m;
    const label = EMOTION_LETTERS[letter];
    if (!label) return issue('urdu', path, 'unknown-code', `undefined emotion letter ${letter}: ${path}`);
    const folder = dirs.at(-1);
    const folderLabel = folder ? EMOTION_FOLDERS[folder.toLowerCase()] : undefined;
    if (folderLabel !== undefined && folderLabel !== label) {
      return issue('urdu', path, 'inconsistent', `${label} file inside folder ${folder}: ${path}`);
    }
    return clip({ corpus: 'urdu', path, speaker, label, gender: gender === 'M' ? 'm' : 'f' });
  });
}

export function scanUrdu(root: string): CorpusScan {
  return scanDirectory('urdu', root, parseUrduName);
}
