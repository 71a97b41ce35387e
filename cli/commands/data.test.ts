import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../core/audio/wav.ts';
import { loadSplitManifest } from '../../core/corpora/split-manifest.ts';
import type { StatsRow } from '../../core/corpora/stats.ts';
import { describeWithCorpus } from '../../test/testing/corpus.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'voicepulse.js');
const run = promisify(execFile);

async function voicepulse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A tiny 8 kHz µ-law WAV of `frames` samples. */
const wav = (frames: number) =>
  writeWav(
    { sampleRate: 8000, channels: [Float32Array.from({ length: frames }, (_, i) => Math.sin(i) / 4)] },
    'mulaw',
  );

const data = mkdtempSync(join(tmpdir(), 'vp-data-'));
const cremad = mkdtempSync(join(tmpdir(), 'vp-cremad-'));
afterAll(() => {
  rmSync(data, { recursive: true, force: true });
  rmSync(cremad, { recursive: true, force: true });
});
const files: Record<string, number> = {
  'ravdess/Actor_01/03-01-05-01-01-01-01.wav': 8000,
  'ravdess/Actor_01/03-01-05-01-01-02-01.wav': 4000,
  'ravdess/Actor_01/03-01-02-01-01-01-01.wav': 800,
  'emovo/f1/tri-f1-b1.wav': 1600,
  'emovo/f1/bad-name.wav': 100,
};
for (const [path, frames] of Object.entries(files)) {
  mkdirSync(dirname(join(data, path)), { recursive: true });
  writeFileSync(join(data, path), wav(frames));
}
mkdirSync(join(cremad, 'AudioWAV'));
writeFileSync(join(cremad, 'AudioWAV', '1001_DFA_ANG_XX.wav'), wav(2400));
writeFileSync(join(cremad, 'AudioWAV', '1076_MTI_SAD_XX.wav'), wav(10));

describe('voicepulse data stats on generated WAVs', () => {
  const manifest = loadSplitManifest();
  it('--json prints one row per corpus, split, emotion and speaker with header durations', async () => {
    const { code, stdout, stderr } = await voicepulse(
      'data',
      'stats',
      '--json',
      '--data',
      data,
      '--cremad',
      cremad,
    );
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as StatsRow[];
    const ravdessSplit = manifest.splitOf({
      corpus: 'ravdess',
      path: '',
      speaker: '01',
      label: 'angry',
      emotion: 'angry',
    });
    const emovoSplit = manifest.splitOf({
      corpus: 'emovo',
      path: '',
      speaker: 'f1',
      label: 'sad',
      emotion: 'sad',
    });
    const cremadSplit = manifest.splitOf({
      corpus: 'cremad',
      path: '',
      speaker: '1001',
      label: 'angry',
      emotion: 'angry',
    });
    expect(rows).toEqual([
      { corpus: 'ravdess', split: ravdessSplit, emotion: 'angry', speaker: '01', files: 2, seconds: 1.5 },
      { corpus: 'ravdess', split: ravdessSplit, emotion: 'calm', speaker: '01', files: 1, seconds: 0.1 },
      { corpus: 'cremad', split: cremadSplit, emotion: 'angry', speaker: '1001', files: 1, seconds: 0.3 },
      { corpus: 'emovo', split: emovoSplit, emotion: 'sad', speaker: 'f1', files: 1, seconds: 0.2 },
    ]);
    expect(stderr).toContain('1 file(s) skipped: cremad known-defect');
    expect(stderr).toContain('1 file(s) skipped: emovo malformed');
  });
  it('prints readable files and minutes tables with totals', async () => {
    const { code, stdout } = await voicepulse('data', 'stats', '--data', data);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^files\ncorpus\s+split\s+angry\s+sad\s+calm\s+total\n/);
    expect(stdout).toMatch(/\nravdess\s+total\s+2\s+-\s+1\s+3\n/);
    expect(stdout).toMatch(/\nall\s+total\s+2\s+1\s+1\s+4\n/);
    expect(stdout).toMatch(/\nminutes\n[\s\S]*\nall\s+total\s+0\.0\s+0\.0\s+0\.0\s+0\.0\n/);
    expect(stdout).toContain('4 files, 0.00 hours');
  });
  it('fails with a one-line error when no corpus is there', async () => {
    const { code, stderr } = await voicepulse('data', 'stats', '--data', join(data, 'nothing'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^voicepulse: data stats: no corpus folder .* under .*nothing\n$/);
  });
});

describe('voicepulse data splits', () => {
  it('splits the corpora present and keeps the committed splits of the absent ones', async () => {
    const { code, stdout, stderr } = await voicepulse('data', 'splits', '--check', '--data', data);
    // One RAVDESS actor and one EMOVO speaker split differently from the committed manifest.
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`data splits: tess not under ${data}: its committed splits kept\n`);
    expect(stderr).toContain(`data splits: urdu not under ${data}: its committed splits kept\n`);
    expect(stderr).not.toContain('ravdess not under');
    expect(stderr).toMatch(
      /voicepulse: data splits: .*splits\.json is out of date; rerun without --check\n$/,
    );
  });

  it('refuses a data root holding none of the corpora it splits', async () => {
    const { code, stderr } = await voicepulse('data', 'splits', '--check', '--data', join(data, 'nothing'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^voicepulse: data splits: none of ravdess, tess, emovo, urdu under .*nothing\n$/);
  });
});

describeWithCorpus('voicepulse data on the real corpora', (root) => {
  it('splits: the committed manifest is what the corpora give', async () => {
    const { code, stdout } = await voicepulse('data', 'splits', '--check', '--data', root);
    expect(code).toBe(0);
    expect(stdout).toMatch(/splits\.json is up to date\n$/);
  });

  it('splits: RAVDESS alone gives the committed manifest too (the others kept as committed)', async () => {
    const partial = mkdtempSync(join(tmpdir(), 'vp-partial-'));
    symlinkSync(join(root, 'ravdess'), join(partial, 'ravdess'));
    try {
      const { code, stdout, stderr } = await voicepulse('data', 'splits', '--check', '--data', partial);
      expect(code).toBe(0);
      expect(stdout).toMatch(/splits\.json is up to date\n$/);
      expect(stderr).toContain('emovo not under');
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  });

  it('counts every documented clip, each speaker in a single split', async () => {
    const { code, stdout } = await voicepulse('data', 'stats', '--json', '--data', root);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as StatsRow[];
    const files: Record<string, number> = {};
    const splitsOf = new Map<string, Set<string>>();
    for (const r of rows) {
      files[r.corpus] = (files[r.corpus] ?? 0) + r.files;
      const key = `${r.corpus}/${r.speaker}`;
      splitsOf.set(key, (splitsOf.get(key) ?? new Set()).add(r.split));
      expect(r.seconds).toBeGreaterThan(0.2 * r.files);
    }
    expect(files).toEqual({ ravdess: 1320, tess: 2798, emovo: 588, urdu: 400 });
    for (const [key, splits] of splitsOf) if (!key.startsWith('tess/')) expect(splits.size, key).toBe(1);
    expect(rows.some((r) => r.split === 'unassigned')).toBe(false);
  });
});
