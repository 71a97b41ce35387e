import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { CorpusRootError, corpusRoots, scanCorpora, scanCorporaReport } from './scan.ts';
import { makeTree } from './testing/tree.ts';

describe('corpusRoots', () => {
  it('puts each corpus under the data root unless overridden', () => {
    const roots = corpusRoots('/d', { cremad: '/mine/CREMA-D' });
    expect(roots.ravdess).toBe(join('/d', 'ravdess'));
    expect(roots.cremad).toBe('/mine/CREMA-D');
    expect(corpusRoots(undefined, { savee: '/s' })).toMatchObject({ savee: '/s', tess: undefined });
  });
});

describe('scanCorporaReport', () => {
  const data = makeTree([
    'tess/OAF/OAF_dog_fear.wav',
    'urdu/Sad/SM1_F1_S01.wav',
    'urdu/Sad/bad.wav',
    'README.md',
  ]);
  const savee = makeTree(['DC_a01.wav', 'KL_su15.wav']);
  const cremad = makeTree(['AudioWAV/1001_DFA_ANG_XX.wav', 'AudioWAV/1076_MTI_SAD_XX.wav']);
  afterAll(() => {
    for (const d of [data, savee, cremad]) rmSync(d, { recursive: true, force: true });
  });

  it('scans only the corpora present, plus per-corpus overrides', () => {
    const scans = scanCorporaReport(data, { roots: { savee, cremad } });
    expect(scans.map((s) => [s.corpus, s.clips.length, s.issues.map((i) => i.code)])).toEqual([
      ['cremad', 1, ['known-defect']],
      ['tess', 1, []],
      ['savee', 2, []],
      ['urdu', 1, ['malformed']],
    ]);
    expect(scanCorpora(undefined, { roots: { savee } }).map((c) => c.path)).toEqual([
      'DC_a01.wav',
      'KL_su15.wav',
    ]);
    expect(scanCorpora(join(data, 'nothing-here'))).toEqual([]);
  });
  it('fails clearly when an explicit corpus root does not exist', () => {
    expect(() => scanCorporaReport(undefined, { roots: { cremad: '/no/such/dir' } })).toThrow(
      CorpusRootError,
    );
  });
});

describeWithCorpus('scanCorpora on the real data root', (root) => {
  it('finds the four shipped corpora with their documented clip counts', () => {
    const scans = scanCorporaReport(root);
    expect(Object.fromEntries(scans.map((s) => [s.corpus, s.clips.length]))).toEqual({
      ravdess: 1320,
      tess: 2798,
      emovo: 588,
      urdu: 400,
    });
    expect(scans.flatMap((s) => s.issues)).toEqual([]);
  });
});
