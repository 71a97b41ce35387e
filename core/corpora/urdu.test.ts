import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { countIssues } from './clip.ts';
import { makeTree } from './testing/tree.ts';
import { parseUrduName, scanUrdu } from './urdu.ts';

describe('parseUrduName', () => {
  it('takes speaker and gender from the name and the class from the letter', () => {
    expect(parseUrduName('Angry/SM1_F10_A010.wav')).toEqual({
      ok: true,
      clip: {
        corpus: 'urdu',
        path: 'Angry/SM1_F10_A010.wav',
        speaker: 'SM1',
        label: 'angry',
        emotion: 'angry',
        gender: 'm',
      },
    });
    const r = parseUrduName('Sad/SF11_F4_S06.wav');
    expect(r.ok && [r.clip.speaker, r.clip.gender, r.clip.emotion]).toEqual(['SF11', 'f', 'sad']);
  });
  it('accepts the release’s irregular running numbers (01, 010, 0100)', () => {
    for (const n of ['01', '010', '0100']) expect(parseUrduName(`Happy/SM7_F28_H${n}.wav`).ok).toBe(true);
  });
  it.each([
    ['Angry/SM1_F10_A010.mp3', 'not-wav'],
    ['Angry/SM1_A010.wav', 'malformed'],
    ['Angry/SX1_F10_A010.wav', 'malformed'],
    ['Angry/SM_F10_A010.wav', 'malformed'],
    ['Angry/SM1_F10_D010.wav', 'unknown-code'],
    ['Happy/SM1_F10_A010.wav', 'inconsistent'],
  ])('reports %s as %s', (path, code) => {
    const r = parseUrduName(path);
    expect(r.ok ? 'ok' : r.issue.code).toBe(code);
  });
});

describe('scanUrdu on generated names', () => {
  it('loads the four class folders', () => {
    const root = makeTree([
      'Angry/SM1_F1_A01.wav',
      'Happy/SF1_F1_H01.wav',
      'Neutral/SM2_F1_N01.wav',
      'Sad/SF2_F1_S01.wav',
      'Sad/x.wav',
    ]);
    try {
      const scan = scanUrdu(root);
      expect(scan.clips.map((c) => c.emotion)).toEqual(['angry', 'happy', 'neutral', 'sad']);
      expect(countIssues(scan.issues)).toEqual({ malformed: 1 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describeWithCorpus(
  'scanUrdu on the real corpus',
  (root) => {
    const scan = scanUrdu(root);
    it('has 400 clips, 100 per class, from 29 speaker ids (11 female)', () => {
      expect(scan.issues).toEqual([]);
      expect(scan.clips).toHaveLength(400);
      for (const e of ['angry', 'happy', 'neutral', 'sad'])
        expect(scan.clips.filter((c) => c.emotion === e)).toHaveLength(100);
      const speakers = new Set(scan.clips.map((c) => c.speaker));
      expect(speakers.size).toBe(29);
      expect([...speakers].filter((s) => s.startsWith('SF'))).toHaveLength(11);
    });
  },
  'urdu',
);
