import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelledSplits } from './build-splits.ts';
import { LabelledCorpusError, parseLabelRows, scanLabelled } from './labelled.ts';
import { scanCorporaReport } from './scan.ts';
import { SplitError } from './split-manifest.ts';

const root = mkdtempSync(join(tmpdir(), 'vp-labelled-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const touch = (path: string) => {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), 'x');
};

describe('parseLabelRows', () => {
  it('reads file, emotion, speaker by header in any order, or positionally without one', () => {
    expect(parseLabelRows('speaker,Emotion,file,notes\nS1,Angry,a.wav,loud\n', 'l.csv')).toEqual([
      { file: 'a.wav', emotion: 'angry', speaker: 'S1', line: 2 },
    ]);
    expect(parseLabelRows('"b c.wav",sad,S2\r\n\r\nd.wav,happy,S3', 'l.csv')).toEqual([
      { file: 'b c.wav', emotion: 'sad', speaker: 'S2', line: 1 },
      { file: 'd.wav', emotion: 'happy', speaker: 'S3', line: 2 },
    ]);
  });

  it('refuses a header without file and emotion columns', () => {
    expect(() => parseLabelRows('emotion,speaker\nangry,S1', 'l.csv')).toThrow(/^BAD_HEADER: l\.csv: /);
  });
});

describe('scanLabelled', () => {
  for (const f of ['s1/a.wav', 's1/b.mp3', 's2/c.flac', 'd.wav', 'notes.txt']) touch(f);
  writeFileSync(
    join(root, 'labels.csv'),
    [
      'file,emotion,speaker',
      's1/a.wav,angry,S1',
      's1/b.mp3,neutral,S1',
      's2/c.flac,sad,S2',
      'd.wav,bored,S3',
      'notes.txt,happy,S3',
      'gone.wav,fear,S3',
      'd.wav,fear,',
      's1/a.wav,sad,S1',
      '../outside.wav,sad,S9',
    ].join('\n'),
  );

  it('makes a clip of every good row and an issue of every other, naming its line', () => {
    const scan = scanLabelled(root);
    expect(scan.clips).toEqual([
      { corpus: 'custom', path: 's1/a.wav', speaker: 'S1', label: 'angry', emotion: 'angry' },
      { corpus: 'custom', path: 's1/b.mp3', speaker: 'S1', label: 'neutral', emotion: 'neutral' },
      { corpus: 'custom', path: 's2/c.flac', speaker: 'S2', label: 'sad', emotion: 'sad' },
    ]);
    expect(scan.issues.map((i) => [i.code, i.message.split(':')[0]])).toEqual([
      ['unknown-code', 'line 5 (d.wav)'],
      ['not-wav', 'line 6 (notes.txt)'],
      ['missing-file', 'line 7 (gone.wav)'],
      ['malformed', 'line 8 (d.wav)'],
      ['inconsistent', 'line 9'],
      ['missing-file', 'line 10 (../outside.wav)'],
    ]);
  });

  it('is the data root’s custom corpus, and reads a labels file named elsewhere', () => {
    const data = mkdtempSync(join(tmpdir(), 'vp-data-'));
    try {
      const labels = join(data, 'mine.csv');
      writeFileSync(labels, 'd.wav,fear,S3\n');
      const [scan] = scanCorporaReport(data, { roots: { custom: root }, labels });
      expect(scan?.corpus).toBe('custom');
      expect(scan?.clips.map((c) => c.path)).toEqual(['d.wav']);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('refuses a folder without a labels file with one line', () => {
    const empty = mkdtempSync(join(tmpdir(), 'vp-empty-'));
    try {
      expect(() => scanLabelled(empty)).toThrow(LabelledCorpusError);
      expect(() => scanLabelled(empty)).toThrow(/^UNREADABLE_LABELS: .*labels\.csv: ENOENT/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('labelledSplits', () => {
  const clipsOf = (speakers: number) =>
    Array.from({ length: speakers * 6 }, (_, i) => ({
      corpus: 'custom' as const,
      path: `${i}.wav`,
      speaker: `spk${i % speakers}`,
      label: (['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad'] as const)[i % 6]!,
      emotion: null,
    }));

  it('splits speakers disjointly into train, validation and test, the same way every time', () => {
    const { protocols } = labelledSplits(clipsOf(20));
    const p = protocols.speaker!;
    if (p.kind === 'cross-speaker') throw new Error('expected a speaker protocol');
    const all = [...p.train, ...p.validation, ...p.test];
    expect(new Set(all).size).toBe(20);
    expect(p.test.length).toBeGreaterThan(0);
    expect(p.validation.length).toBeGreaterThan(0);
    expect(p.train.length).toBeGreaterThan(p.test.length);
    expect(labelledSplits(clipsOf(20))).toEqual(labelledSplits(clipsOf(20)));
  });

  it('refuses fewer speakers than three splits need', () => {
    expect(() => labelledSplits(clipsOf(2))).toThrow(SplitError);
    expect(() => labelledSplits(clipsOf(2))).toThrow(/^TOO_FEW_SPEAKERS: your recordings have 2 speaker/);
  });
});
