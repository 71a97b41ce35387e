import { describe, expect, it } from 'vitest';
import { type CorpusClip, clip, countIssues, issue, parseWavPath, sixClassOnly } from './clip.ts';

const make = (label: string): CorpusClip => {
  const r = clip({ corpus: 'ravdess', path: `${label}.wav`, speaker: '01', label });
  if (!r.ok) throw new Error('clip() must succeed');
  return r.clip;
};

describe('clip', () => {
  it('derives emotion from the label: one of the six, else null', () => {
    expect(['angry', 'sad', 'calm', 'surprise', 'pleasant_surprise'].map((l) => make(l).emotion)).toEqual([
      'angry',
      'sad',
      null,
      null,
      null,
    ]);
  });
});

describe('sixClassOnly', () => {
  it('keeps exactly the clips labelled with one of the six emotions', () => {
    const clips = ['neutral', 'calm', 'fear', 'surprise', 'disgust', 'pleasant_surprise', 'happy'].map(make);
    expect(sixClassOnly(clips).map((c) => c.label)).toEqual(['neutral', 'fear', 'disgust', 'happy']);
  });
});

describe('parseWavPath', () => {
  const echo = (path: string) =>
    parseWavPath('tess', path, (stem, dirs, normalized) =>
      issue('tess', normalized, 'malformed', `${dirs.join('|')}:${stem}`),
    );
  it('hands stem, folders and the normalised path to the corpus parser', () => {
    const r = echo('a\\b//OAF_x_sad.WAV');
    expect(r.ok ? null : [r.issue.path, r.issue.message]).toEqual(['a/b/OAF_x_sad.WAV', 'a|b:OAF_x_sad']);
  });
  it.each(['a/b.mp3', 'a/.wav', 'wav', 'a/b.wav.txt', ''])('rejects %j as not-wav', (path) => {
    const r = echo(path);
    expect(r.ok ? null : r.issue.code).toBe('not-wav');
  });
});

describe('countIssues', () => {
  it('counts issues per code', () => {
    const issues = [
      issue('urdu', 'a', 'malformed', ''),
      issue('urdu', 'b', 'malformed', ''),
      issue('tess', 'c', 'not-wav', ''),
    ].map((r) => (r.ok ? undefined : r.issue));
    expect(countIssues(issues.filter((i) => i !== undefined))).toEqual({ malformed: 2, 'not-wav': 1 });
  });
});
