import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { buildSplitManifest, formatSplitManifest } from './build-splits.ts';
import type { CorpusClip } from './clip.ts';
import { scanCorpora } from './scan.ts';
import { SPLIT_MANIFEST_URL, SplitManifest } from './split-manifest.ts';

/** A synthetic data set: 10 EMOVO-like speakers and 20 TESS-like words. */
function fixtureClips(): CorpusClip[] {
  const clips: CorpusClip[] = [];
  for (let s = 0; s < 10; s++) {
    for (const label of ['angry', 'sad', 'surprise']) {
      clips.push({
        corpus: 'urdu',
        path: `${s}-${label}.wav`,
        speaker: `S${s}`,
        label,
        emotion: null,
        gender: s % 2 ? 'm' : 'f',
      });
    }
  }
  for (let w = 0; w < 20; w++) {
    for (const speaker of ['OAF', 'YAF']) {
      clips.push({
        corpus: 'tess',
        path: `${speaker}_${w}.wav`,
        speaker,
        label: 'happy',
        emotion: 'happy',
        text: `w${w}`,
      });
    }
  }
  return clips;
}

/** Asserts that, under every protocol, each speaker (and, for word protocols, each word) maps to one split. */
function expectDisjoint(manifest: SplitManifest, clips: readonly CorpusClip[]): void {
  for (const corpus of new Set(clips.map((c) => c.corpus))) {
    for (const name of manifest.protocolNames(corpus)) {
      const p = manifest.protocol(corpus, name);
      const seen = new Map<string, Set<string>>();
      for (const c of clips.filter((x) => x.corpus === corpus)) {
        const key =
          p.kind === 'word' ? (c.text ?? '') : p.kind === 'speaker' ? c.speaker : `${c.speaker}/${c.text}`;
        const splits = seen.get(key) ?? new Set();
        splits.add(manifest.splitOf(c, name));
        seen.set(key, splits);
      }
      for (const [key, splits] of seen) expect(splits.size, `${corpus}/${name}: ${key}`).toBe(1);
      if (p.kind === 'cross-speaker') {
        const testSpeakers = new Set(
          clips
            .filter((c) => c.corpus === corpus && manifest.splitOf(c, name) === 'test')
            .map((c) => c.speaker),
        );
        const otherSpeakers = new Set(
          clips
            .filter((c) => c.corpus === corpus && manifest.splitOf(c, name) !== 'test')
            .map((c) => c.speaker),
        );
        expect([...testSpeakers].filter((s) => otherSpeakers.has(s))).toEqual([]);
      }
    }
  }
}

describe('buildSplitManifest', () => {
  it('is deterministic and independent of clip order', () => {
    const clips = fixtureClips();
    const a = buildSplitManifest(clips);
    expect(buildSplitManifest(clips)).toEqual(a);
    expect(buildSplitManifest([...clips].reverse())).toEqual(a);
  });
  it('always includes CREMA-D and SAVEE, and only the scanned corpora present', () => {
    expect(Object.keys(buildSplitManifest([]).corpora).sort()).toEqual(['cremad', 'savee']);
    expect(Object.keys(buildSplitManifest(fixtureClips()).corpora).sort()).toEqual([
      'cremad',
      'savee',
      'tess',
      'urdu',
    ]);
  });
  it('yields a valid manifest whose protocols keep speakers (and TESS words) within one split', () => {
    const clips = fixtureClips();
    const manifest = new SplitManifest(buildSplitManifest(clips));
    expectDisjoint(manifest, clips);
    const word = manifest.protocol('tess', 'word');
    if (word.kind === 'cross-speaker') throw new Error('unexpected protocol kind');
    expect([word.train.length, word.validation.length, word.test.length]).toEqual([14, 3, 3]);
  });
  it('formats JSON that parses back to the same manifest', () => {
    const data = buildSplitManifest(fixtureClips());
    const text = formatSplitManifest(data);
    expect(JSON.parse(text)).toEqual(data);
    expect(text).toMatch(/"train": \["S\d", "S\d"/);
  });
});

describeWithCorpus('buildSplitManifest on the real corpora', (root) => {
  const clips = scanCorpora(root);
  const manifest = new SplitManifest(buildSplitManifest(clips));
  it('regenerates the committed splits.json byte for byte', () => {
    expect(formatSplitManifest(manifest.data)).toBe(readFileSync(fileURLToPath(SPLIT_MANIFEST_URL), 'utf8'));
  });
  it('keeps every speaker within one split, and every TESS word within one split', () => {
    expectDisjoint(manifest, clips);
  });
  it('puts both TESS speakers and every class of each corpus in every split of the default protocol', () => {
    for (const corpus of ['ravdess', 'tess', 'emovo', 'urdu'] as const) {
      const own = clips.filter((c) => c.corpus === corpus);
      const labels = new Set(own.map((c) => c.label));
      for (const split of ['train', 'validation', 'test'] as const) {
        const inSplit = own.filter((c) => manifest.splitOf(c) === split);
        expect(new Set(inSplit.map((c) => c.label)), `${corpus}/${split}`).toEqual(labels);
        if (corpus === 'tess')
          expect(new Set(inSplit.map((c) => c.speaker))).toEqual(new Set(['OAF', 'YAF']));
      }
    }
  });
});
