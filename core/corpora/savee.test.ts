import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countIssues } from './clip.ts';
import { parseSaveeName, SAVEE_SPEAKERS, scanSavee } from './savee.ts';
import { makeTree } from './testing/tree.ts';

/** SAVEE's 120 names per speaker: 15 per emotion except 30 neutral. */
function speakerFiles(speaker: string, flat: boolean): string[] {
  const counts: Record<string, number> = { a: 15, d: 15, f: 15, h: 15, n: 30, sa: 15, su: 15 };
  return Object.entries(counts).flatMap(([code, n]) =>
    Array.from({ length: n }, (_, i) => {
      const id = `${code}${String(i + 1).padStart(2, '0')}`;
      return flat ? `ALL/${speaker}_${id}.wav` : `AudioData/${speaker}/${id}.wav`;
    }),
  );
}

describe('parseSaveeName', () => {
  it('decodes the flat DC_a01.wav form', () => {
    expect(parseSaveeName('DC_a01.wav')).toEqual({
      ok: true,
      clip: {
        corpus: 'savee',
        path: 'DC_a01.wav',
        speaker: 'DC',
        label: 'angry',
        emotion: 'angry',
        gender: 'm',
        sentence: 'a01',
      },
    });
  });
  it("tells the two-letter codes 'sa' (sad) and 'su' (surprise) apart", () => {
    const sa = parseSaveeName('JE_sa12.wav');
    const su = parseSaveeName('JE_su12.wav');
    expect(sa.ok && [sa.clip.label, sa.clip.emotion, sa.clip.sentence]).toEqual(['sad', 'sad', 'sa12']);
    expect(su.ok && [su.clip.label, su.clip.emotion, su.clip.sentence]).toEqual(['surprise', null, 'su12']);
  });
  it('reads the original AudioData/<speaker>/<code><nn>.wav layout', () => {
    const r = parseSaveeName('AudioData/KL/n30.wav');
    expect(r.ok && [r.clip.speaker, r.clip.emotion]).toEqual(['KL', 'neutral']);
  });
  it.each([
    ['DC_a01.flac', 'not-wav'],
    ['DC_a1.wav', 'malformed'],
    ['DC-a01.wav', 'malformed'],
    ['a01.wav', 'malformed'],
    ['DC_s01.wav', 'unknown-code'],
    ['DC_sx01.wav', 'unknown-code'],
    ['XY_a01.wav', 'unknown-code'],
    ['AudioData/a01.wav', 'unknown-code'],
    ['DC_a00.wav', 'unknown-code'],
  ])('reports %s as %s', (path, code) => {
    const r = parseSaveeName(path);
    expect(r.ok ? 'ok' : r.issue.code).toBe(code);
  });
});

describe('scanSavee on generated copies', () => {
  it.each([true, false])('loads all 480 clips of the four speakers (flat: %s)', (flat) => {
    const root = makeTree([...SAVEE_SPEAKERS.flatMap((s) => speakerFiles(s, flat)), 'Info.txt']);
    try {
      const scan = scanSavee(root);
      expect(scan.clips).toHaveLength(480);
      const perLabel: Record<string, number> = {};
      for (const c of scan.clips) perLabel[c.label] = (perLabel[c.label] ?? 0) + 1;
      expect(perLabel).toEqual({
        angry: 60,
        disgust: 60,
        fear: 60,
        happy: 60,
        neutral: 120,
        sad: 60,
        surprise: 60,
      });
      expect(new Set(scan.clips.map((c) => c.speaker))).toEqual(new Set(SAVEE_SPEAKERS));
      expect(countIssues(scan.issues)).toEqual({ 'not-wav': 1 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
