import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { countIssues } from './clip.ts';
import { parseRavdessName, scanRavdess } from './ravdess.ts';
import { makeTree } from './testing/tree.ts';

/** The 60 speech file names of one RAVDESS actor, as the corpus defines them. */
function actorFiles(actor: number): string[] {
  const aa = String(actor).padStart(2, '0');
  const files: string[] = [];
  for (let emo = 1; emo <= 8; emo++) {
    for (const inten of emo === 1 ? ['01'] : ['01', '02']) {
      for (const stmt of ['01', '02']) {
        for (const rep of ['01', '02'])
          files.push(`Actor_${aa}/03-01-0${emo}-${inten}-${stmt}-${rep}-${aa}.wav`);
      }
    }
  }
  return files;
}

describe('parseRavdessName', () => {
  it('decodes every field of a name', () => {
    const r = parseRavdessName('Actor_07/03-01-05-02-01-02-07.wav');
    expect(r).toEqual({
      ok: true,
      clip: {
        corpus: 'ravdess',
        path: 'Actor_07/03-01-05-02-01-02-07.wav',
        speaker: '07',
        label: 'angry',
        emotion: 'angry',
        gender: 'm',
        text: 'Kids are talking by the door',
        sentence: '01',
        intensity: 'strong',
        repetition: 2,
      },
    });
  });
  it('maps every emotion code, keeping calm and surprise with a null emotion', () => {
    const labels = [1, 2, 3, 4, 5, 6, 7, 8].map((e) => {
      const r = parseRavdessName(`Actor_22/03-01-0${e}-01-02-01-22.wav`);
      return r.ok ? [r.clip.label, r.clip.emotion, r.clip.gender, r.clip.text] : r.issue.code;
    });
    expect(labels).toEqual([
      ['neutral', 'neutral', 'f', 'Dogs are sitting by the door'],
      ['calm', null, 'f', 'Dogs are sitting by the door'],
      ['happy', 'happy', 'f', 'Dogs are sitting by the door'],
      ['sad', 'sad', 'f', 'Dogs are sitting by the door'],
      ['angry', 'angry', 'f', 'Dogs are sitting by the door'],
      ['fear', 'fear', 'f', 'Dogs are sitting by the door'],
      ['disgust', 'disgust', 'f', 'Dogs are sitting by the door'],
      ['surprise', null, 'f', 'Dogs are sitting by the door'],
    ]);
  });
  it('accepts Windows separators and a flat layout', () => {
    const win = parseRavdessName('Actor_01\\03-01-03-01-01-01-01.wav');
    expect(win.ok && win.clip.path).toBe('Actor_01/03-01-03-01-01-01-01.wav');
    const flat = parseRavdessName('03-01-03-01-01-01-01.WAV');
    expect(flat.ok && flat.clip.speaker).toBe('01');
  });
  it.each([
    ['Actor_01/03-01-03-01-01-01-01.mp3', 'not-wav'],
    ['Actor_01/03-01-03-01-01-01.wav', 'malformed'],
    ['Actor_01/notes.wav', 'malformed'],
    ['Actor_01/03-01-3-01-01-01-01.wav', 'malformed'],
    ['Actor_01/03-02-03-01-01-01-01.wav', 'unsupported'],
    ['Actor_01/01-01-03-01-01-01-01.wav', 'unsupported'],
    ['Actor_01/03-01-09-01-01-01-01.wav', 'unknown-code'],
    ['Actor_01/03-01-03-03-01-01-01.wav', 'unknown-code'],
    ['Actor_01/03-01-03-01-03-01-01.wav', 'unknown-code'],
    ['Actor_01/03-01-03-01-01-00-01.wav', 'unknown-code'],
    ['Actor_25/03-01-03-01-01-01-25.wav', 'unknown-code'],
    ['Actor_00/03-01-03-01-01-01-00.wav', 'unknown-code'],
    ['Actor_02/03-01-03-01-01-01-01.wav', 'inconsistent'],
  ])('reports %s as %s', (path, code) => {
    const r = parseRavdessName(path);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issue.code).toBe(code);
      expect(r.issue.corpus).toBe('ravdess');
      expect(r.issue.message).toContain(path.split('\\').join('/'));
    }
  });
});

describe('scanRavdess on generated names', () => {
  it('loads every valid file and counts the rest without throwing', () => {
    const root = makeTree([
      ...actorFiles(1),
      ...actorFiles(2),
      'Actor_01/readme.txt',
      'Actor_02/03-01-03.wav',
      '.DS_Store',
    ]);
    try {
      const scan = scanRavdess(root);
      expect(scan.clips).toHaveLength(120);
      expect(new Set(scan.clips.map((c) => c.speaker))).toEqual(new Set(['01', '02']));
      expect(countIssues(scan.issues)).toEqual({ 'not-wav': 1, malformed: 1 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describeWithCorpus(
  'scanRavdess on the real corpus',
  (root) => {
    const scan = scanRavdess(root);
    it('has the 1,320 documented clips of actors 01–22, 60 each, with no rejected file', () => {
      expect(scan.issues).toEqual([]);
      expect(scan.clips).toHaveLength(1320);
      const perActor = new Map<string, number>();
      for (const c of scan.clips) perActor.set(c.speaker, (perActor.get(c.speaker) ?? 0) + 1);
      expect([...perActor.keys()].sort()).toEqual(
        Array.from({ length: 22 }, (_, i) => String(i + 1).padStart(2, '0')),
      );
      expect(new Set(perActor.values())).toEqual(new Set([60]));
      expect(scan.clips.filter((c) => c.gender === 'm')).toHaveLength(660);
    });
    it('has 88 neutral and 176 of each other class', () => {
      const labels: Record<string, number> = {};
      for (const c of scan.clips) labels[c.label] = (labels[c.label] ?? 0) + 1;
      expect(labels).toEqual({
        neutral: 88,
        calm: 176,
        happy: 176,
        sad: 176,
        angry: 176,
        fear: 176,
        disgust: 176,
        surprise: 176,
      });
    });
  },
  'ravdess',
);
