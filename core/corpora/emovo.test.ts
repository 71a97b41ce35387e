import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { countIssues } from './clip.ts';
import { EMOVO_SPEAKERS, parseEmovoName, scanEmovo } from './emovo.ts';
import { makeTree } from './testing/tree.ts';

describe('parseEmovoName', () => {
  it('decodes emotion, speaker and sentence', () => {
    expect(parseEmovoName('m2/rab-m2-n3.wav')).toEqual({
      ok: true,
      clip: {
        corpus: 'emovo',
        path: 'm2/rab-m2-n3.wav',
        speaker: 'm2',
        label: 'angry',
        emotion: 'angry',
        gender: 'm',
        sentence: 'n3',
      },
    });
  });
  it('maps the Italian codes, keeping sor as surprise with a null emotion', () => {
    const labels = ['rab', 'dis', 'pau', 'gio', 'neu', 'tri', 'sor'].map((e) => {
      const r = parseEmovoName(`f1/${e}-f1-b1.wav`);
      return r.ok ? [r.clip.label, r.clip.emotion, r.clip.gender] : r.issue.code;
    });
    expect(labels).toEqual([
      ['angry', 'angry', 'f'],
      ['disgust', 'disgust', 'f'],
      ['fear', 'fear', 'f'],
      ['happy', 'happy', 'f'],
      ['neutral', 'neutral', 'f'],
      ['sad', 'sad', 'f'],
      ['surprise', null, 'f'],
    ]);
  });
  it.each([
    ['f1/dis-f1-b1.ogg', 'not-wav'],
    ['f1/dis-f1.wav', 'malformed'],
    ['f1/dis_f1_b1.wav', 'malformed'],
    ['f1/xyz-f1-b1.wav', 'unknown-code'],
    ['f1/dis-f4-b1.wav', 'unknown-code'],
    ['f2/dis-f1-b1.wav', 'inconsistent'],
  ])('reports %s as %s', (path, code) => {
    const r = parseEmovoName(path);
    expect(r.ok ? 'ok' : r.issue.code).toBe(code);
  });
});

describe('scanEmovo on generated names', () => {
  it('loads every speaker folder', () => {
    const files = EMOVO_SPEAKERS.flatMap((s) => ['rab', 'sor'].map((e) => `${s}/${e}-${s}-l1.wav`));
    const root = makeTree([...files, 'f1/dis-f1.wav']);
    try {
      const scan = scanEmovo(root);
      expect(scan.clips).toHaveLength(12);
      expect(countIssues(scan.issues)).toEqual({ malformed: 1 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describeWithCorpus(
  'scanEmovo on the real corpus',
  (root) => {
    const scan = scanEmovo(root);
    it('has 588 clips: 6 speakers x 7 classes x 14 sentences', () => {
      expect(scan.issues).toEqual([]);
      expect(scan.clips).toHaveLength(588);
      const cells = new Set(scan.clips.map((c) => `${c.speaker}/${c.label}/${c.sentence}`));
      expect(cells.size).toBe(588);
      expect(new Set(scan.clips.map((c) => c.sentence)).size).toBe(14);
    });
  },
  'emovo',
);
