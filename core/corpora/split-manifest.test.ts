import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CorpusClip } from './clip.ts';
import { CREMAD_ACTORS } from './cremad.ts';
import { SAVEE_SPEAKERS } from './savee.ts';
import { loadSplitManifest, SPLITS, SplitError, SplitManifest, splitOf } from './split-manifest.ts';

const committed = loadSplitManifest();

const fixture = new SplitManifest({
  version: 1,
  corpora: {
    emovo: {
      default: 'speaker',
      protocols: {
        speaker: { kind: 'speaker', description: '', train: ['f1'], validation: ['m1'], test: ['f2'] },
      },
    },
    tess: {
      default: 'word',
      protocols: {
        word: { kind: 'word', description: '', train: ['dog'], validation: ['cat'], test: ['bat'] },
        cross: {
          kind: 'cross-speaker',
          description: '',
          train: ['OAF'],
          test: ['YAF'],
          validationWords: ['cat'],
        },
      },
    },
  },
});

const emovo = (speaker: string): CorpusClip => ({
  corpus: 'emovo',
  path: 'x.wav',
  speaker,
  label: 'sad',
  emotion: 'sad',
});
const tess = (speaker: string, text: string): CorpusClip => ({
  corpus: 'tess',
  path: 'x.wav',
  speaker,
  label: 'sad',
  emotion: 'sad',
  text,
});

describe('SplitManifest.splitOf', () => {
  it('resolves speaker, word and cross-speaker protocols', () => {
    expect(['f1', 'm1', 'f2'].map((s) => fixture.splitOf(emovo(s)))).toEqual(['train', 'validation', 'test']);
    expect(['dog', 'cat', 'bat'].map((w) => fixture.splitOf(tess('YAF', w)))).toEqual([
      'train',
      'validation',
      'test',
    ]);
    expect(fixture.splitOf(tess('OAF', 'dog'), 'cross')).toBe('train');
    expect(fixture.splitOf(tess('OAF', 'cat'), 'cross')).toBe('validation');
    expect(fixture.splitOf(tess('YAF', 'cat'), 'cross')).toBe('test');
  });
  it('throws typed errors for unassigned clips, unknown protocols and corpora', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return e instanceof SplitError ? e.code : String(e);
      }
    };
    expect(code(() => fixture.splitOf(emovo('m3')))).toBe('UNASSIGNED');
    expect(code(() => fixture.splitOf(tess('YAF', 'owl')))).toBe('UNASSIGNED');
    expect(code(() => fixture.splitOf(tess('MAF', 'dog'), 'cross'))).toBe('UNASSIGNED');
    expect(code(() => fixture.splitOf(emovo('f1'), 'nope'))).toBe('UNKNOWN_PROTOCOL');
    expect(code(() => fixture.splitOf({ ...emovo('DC'), corpus: 'savee' }))).toBe('UNKNOWN_CORPUS');
  });
});

describe('SplitManifest validation', () => {
  const protocol = (train: string[], validation: string[], test: string[], folds?: string[][]) => ({
    version: 1,
    corpora: {
      urdu: {
        default: 'speaker',
        protocols: { speaker: { kind: 'speaker', description: '', train, validation, test, folds } },
      },
    },
  });
  it.each([
    ['train/test overlap', protocol(['a'], ['b'], ['a'])],
    ['train/validation overlap', protocol(['a'], ['a'], ['b'])],
    ['validation/test overlap', protocol(['a'], ['b'], ['b'])],
    ['a missing default', { version: 1, corpora: { urdu: { default: 'x', protocols: {} } } }],
    ['an unknown corpus', { version: 1, corpora: { timit: { default: 'x', protocols: {} } } }],
    ['a wrong version', { version: 2, corpora: {} }],
    ['folds missing a training speaker', protocol(['a', 'c'], ['b'], ['d'], [['b'], ['a']])],
    ['folds holding a test speaker', protocol(['a'], ['b'], ['d'], [['b'], ['a', 'd']])],
    [
      'a speaker in two folds',
      protocol(
        ['a', 'c'],
        ['b'],
        ['d'],
        [
          ['b', 'a'],
          ['a', 'c'],
        ],
      ),
    ],
  ])('rejects %s', (_, data) => {
    expect(() => new SplitManifest(data)).toThrow(SplitError);
  });
  it('gives the default protocol’s folds', () => {
    const manifest = new SplitManifest(protocol(['a', 'c'], ['b'], ['d'], [['b'], ['c', 'a']]));
    expect(manifest.folds('urdu')).toEqual([['b'], ['c', 'a']]);
    expect(manifest.folds('ravdess')).toBeUndefined();
    expect(new SplitManifest(protocol(['a'], ['b'], ['d'])).folds('urdu')).toBeUndefined();
    // The committed RAVDESS folds: the validation actors, then the training actors in three folds.
    const folds = committed.folds('ravdess')!;
    const speaker = committed.protocol('ravdess');
    if (speaker.kind === 'cross-speaker') throw new Error('RAVDESS has a speaker protocol');
    expect(folds[0]).toEqual(speaker.validation);
    expect(folds.slice(1).flat().sort()).toEqual([...speaker.train].sort());
    expect(folds.map((f) => f.length)).toEqual([4, 5, 5, 4]);
  });
  it('reports unreadable manifest files as SplitError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vp-splits-'));
    try {
      writeFileSync(join(dir, 'bad.json'), '{ not json');
      expect(() => loadSplitManifest(join(dir, 'bad.json'))).toThrow(SplitError);
      expect(() => loadSplitManifest(join(dir, 'missing.json'))).toThrow(/cannot read split manifest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the committed splits.json', () => {
  it('defines every corpus with a default protocol', () => {
    for (const corpus of ['ravdess', 'cremad', 'tess', 'savee', 'emovo', 'urdu'] as const) {
      expect(committed.protocol(corpus)).toBeDefined();
    }
    expect(committed.protocolNames('tess').sort()).toEqual(['oaf-to-yaf', 'word', 'yaf-to-oaf']);
    expect(committed.protocolNames('savee')).toEqual(SAVEE_SPEAKERS.map((s) => `loso-${s}`));
  });
  it('never lists a speaker or word in two splits of one protocol', () => {
    for (const corpus of ['ravdess', 'cremad', 'tess', 'savee', 'emovo', 'urdu'] as const) {
      for (const name of committed.protocolNames(corpus)) {
        const p = committed.protocol(corpus, name);
        const lists = p.kind === 'cross-speaker' ? [p.train, p.test] : SPLITS.map((s) => p[s]);
        const all = lists.flat();
        expect(new Set(all).size, `${corpus}/${name}`).toBe(all.length);
      }
    }
  });
  it('assigns all 91 CREMA-D actors, about 70/15/15', () => {
    const p = committed.protocol('cremad');
    if (p.kind === 'cross-speaker') throw new Error('unexpected protocol kind');
    expect([...p.train, ...p.validation, ...p.test].sort()).toEqual([...CREMAD_ACTORS]);
    expect(p.validation.length).toBeGreaterThanOrEqual(13);
    expect(p.test.length).toBeGreaterThanOrEqual(13);
  });
  it('gives SAVEE four leave-one-speaker-out folds, each speaker tested once', () => {
    const tested = committed.protocolNames('savee').map((n) => {
      const p = committed.protocol('savee', n);
      if (p.kind === 'cross-speaker') throw new Error('unexpected protocol kind');
      expect([...p.train, ...p.validation, ...p.test].sort()).toEqual([...SAVEE_SPEAKERS]);
      return p.test;
    });
    expect(tested.flat().sort()).toEqual([...SAVEE_SPEAKERS]);
  });
  it('is what splitOf uses by default', () => {
    expect(
      splitOf({ corpus: 'savee', path: 'DC_a01.wav', speaker: 'DC', label: 'angry', emotion: 'angry' }),
    ).toBe('test');
  });
});
