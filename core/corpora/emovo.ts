import { type CorpusScan, clip, issue, type ParseResult, parseWavPath } from './clip.ts';
import { scanDirectory } from './walk.ts';

// EMOVO (Costantini et al. 2014): <spk>/<emo>-<spk>-<sentence>.wav, Italian, speakers f1–f3, m1–m3.

export const EMOVO_SPEAKERS = ['f1', 'f2', 'f3', 'm1', 'm2', 'm3'] as const;
const SPEAKER_SET: ReadonlySet<string> = new Set(EMOVO_SPEAKERS);

const EMOTION_CODES: Record<string, string> = {
  rab: 'angry',
  dis: 'disgust',
  pau: 'fear',
  gio: 'happy',
  neu: 'neutral',
  tri: 'sad',
  sor: 'surprise',
};
const NAME = /^([a-z]{3})-([a-z]\d)-([a-z]\d)$/i;

export function parseEmovoName(relativePath: string): ParseResult {
  return parseWavPath('emovo', relativePath, (stem, dirs, path) => {
    const m = NAME.exec(stem);
    if (!m) return issue('emovo', path, 'malformed', `expected <emo>-<spk>-<sentence>.wav: ${path}`);
    const [, emo = '', spk = '', sentence = ''] = m;
    const speaker = spk.toLowerCase();
    const label = EMOTION_CODES[emo.toLowerCase()];
    if (!SPEAKER_SET.has(speaker) || !label) {
      return issue('emovo', path, 'unknown-code', `undefined speaker/emotion code: ${path}`);
    }
    const folder = dirs.at(-1)?.toLowerCase();
    if (folder !== undefined && SPEAKER_SET.has(folder) && folder !== speaker) {
      return issue('emovo', path, 'inconsistent', `file of ${speaker} inside folder ${dirs.at(-1)}: ${path}`);
    }
    return clip({
      corpus: 'emovo',
      path,
      speaker,
      label,
      gender: speaker.startsWith('f') ? 'f' : 'm',
      sentence: sentence.toLowerCase(),
    });
  });
}

export function scanEmovo(root: string): CorpusScan {
  return scanDirectory('emovo', root, parseEmovoName);
}
