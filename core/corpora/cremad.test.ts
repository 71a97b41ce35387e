import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countIssues } from './clip.ts';
import { CREMAD_ACTORS, CREMAD_KNOWN_DEFECTS, parseCremadName, scanCremad } from './cremad.ts';
import { makeTree } from './testing/tree.ts';

const SENTENCES = ['IEO', 'TIE', 'IOM', 'IWW', 'TAI', 'MTI', 'IWL', 'ITH', 'DFA', 'ITS', 'TSI', 'WSI'];
const EMOTIONS = ['ANG', 'DIS', 'FEA', 'HAP', 'NEU', 'SAD'];

/** The 82 names per actor of the full CREMA-D design (IEO at three intensities, the rest XX). */
function actorFiles(actor: string): string[] {
  const files: string[] = [];
  for (const s of SENTENCES) {
    for (const e of EMOTIONS) {
      const levels = s === 'IEO' && e !== 'NEU' ? ['LO', 'MD', 'HI'] : ['XX'];
      for (const l of levels) files.push(`AudioWAV/${actor}_${s}_${e}_${l}.wav`);
    }
  }
  return files;
}

describe('parseCremadName', () => {
  it('decodes actor, sentence, emotion and intensity', () => {
    expect(parseCremadName('AudioWAV/1001_DFA_ANG_XX.wav')).toEqual({
      ok: true,
      clip: {
        corpus: 'cremad',
        path: 'AudioWAV/1001_DFA_ANG_XX.wav',
        speaker: '1001',
        label: 'angry',
        emotion: 'angry',
        text: "Don't forget a jacket",
        sentence: 'DFA',
        intensity: 'unspecified',
      },
    });
    const r = parseCremadName('1091_IEO_FEA_HI.wav');
    expect(r.ok && [r.clip.speaker, r.clip.emotion, r.clip.intensity]).toEqual(['1091', 'fear', 'high']);
  });
  it('maps the six emotion codes onto the six classes', () => {
    const emotions = EMOTIONS.map((e) => {
      const r = parseCremadName(`1002_IEO_${e}_LO.wav`);
      return r.ok ? r.clip.emotion : null;
    });
    expect(emotions).toEqual(['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad']);
  });
  it.each([
    ['AudioWAV/1001_DFA_ANG_XX.mp3', 'not-wav'],
    ['AudioWAV/1001_DFA_ANG.wav', 'malformed'],
    ['AudioWAV/1001-DFA-ANG-XX.wav', 'malformed'],
    ['AudioWAV/1001_dfa_ANG_XX.wav', 'malformed'],
    ['AudioWAV/1000_DFA_ANG_XX.wav', 'unknown-code'],
    ['AudioWAV/1092_DFA_ANG_XX.wav', 'unknown-code'],
    ['AudioWAV/1001_ABC_ANG_XX.wav', 'unknown-code'],
    ['AudioWAV/1001_DFA_SUR_XX.wav', 'unknown-code'],
    ['AudioWAV/1001_DFA_ANG_ZZ.wav', 'unknown-code'],
    ['AudioWAV/1076_MTI_SAD_XX.wav', 'known-defect'],
    ['AudioWAV/1006_TIE_HAP_XX.wav', 'known-defect'],
    ['AudioWAV/1006_TIE_NEU_XX.wav', 'known-defect'],
    ['AudioWAV/1013_WSI_DIS_XX.wav', 'known-defect'],
    ['AudioWAV/1013_WSI_SAD_XX.wav', 'known-defect'],
    ['AudioWAV/1017_IWW_ANG_XX.wav', 'known-defect'],
    ['AudioWAV/1017_IWW_FEA_XX.wav', 'known-defect'],
  ])('reports %s as %s', (path, code) => {
    const r = parseCremadName(path);
    expect(r.ok ? 'ok' : r.issue.code).toBe(code);
  });
  it('excludes only the documented defects, not their neighbours', () => {
    expect(Object.keys(CREMAD_KNOWN_DEFECTS)).toHaveLength(7);
    for (const path of [
      '1076_MTI_HAP_XX.wav',
      '1006_TIE_ANG_XX.wav',
      '1013_ITS_SAD_XX.wav',
      '1017_IWW_HAP_XX.wav',
    ]) {
      expect(parseCremadName(path).ok).toBe(true);
    }
  });
});

describe('scanCremad on a generated copy of the corpus design', () => {
  it('reads AudioWAV/ under a repository root and drops the seven defective clips', () => {
    const root = makeTree([
      ...CREMAD_ACTORS.flatMap(actorFiles),
      'AudioMP3/1001_DFA_ANG_XX.mp3',
      'README.md',
    ]);
    try {
      const scan = scanCremad(root);
      expect(scan.clips).toHaveLength(91 * 82 - 7);
      expect(new Set(scan.clips.map((c) => c.speaker)).size).toBe(91);
      expect(scan.clips.every((c) => c.path.startsWith('AudioWAV/'))).toBe(true);
      expect(countIssues(scan.issues)).toEqual({ 'known-defect': 7 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('reads a bare folder of WAVs too, reporting stray files', () => {
    const root = makeTree(['1001_DFA_ANG_XX.wav', '1001_DFA_ANG_XX.mp3', 'x.wav']);
    try {
      const scan = scanCremad(root);
      expect(scan.clips.map((c) => c.path)).toEqual(['1001_DFA_ANG_XX.wav']);
      expect(countIssues(scan.issues)).toEqual({ 'not-wav': 1, malformed: 1 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
