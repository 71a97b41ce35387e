import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WavError, writeWav } from '../audio/wav.ts';
import { scanCorporaReport } from './scan.ts';
import { loadSplitManifest } from './split-manifest.ts';
import { corpusStats, wavFileDurationMs } from './stats.ts';
import { makeTree } from './testing/tree.ts';

const tone = (frames: number) => Float32Array.from({ length: frames }, (_, i) => 0.3 * Math.sin(i / 5));
const mulaw = (frames: number) => writeWav({ sampleRate: 8000, channels: [tone(frames)] }, 'mulaw');

/** `wav` with a `size`-byte LIST chunk inserted right after its RIFF/WAVE header, before fmt. */
function withLeadingChunk(wav: Uint8Array, size: number): Uint8Array {
  const chunk = new Uint8Array(8 + size);
  chunk.set([0x4c, 0x49, 0x53, 0x54]);
  new DataView(chunk.buffer).setUint32(4, size, true);
  const out = new Uint8Array(wav.length + chunk.length);
  out.set(wav.subarray(0, 12));
  out.set(chunk, 12);
  out.set(wav.subarray(12), 12 + chunk.length);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

const dir = makeTree([]);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  return path;
};

describe('wavFileDurationMs', () => {
  it('reads the duration of µ-law and PCM files from their headers', () => {
    expect(wavFileDurationMs(file('a.wav', mulaw(8000)))).toBe(1000);
    expect(wavFileDurationMs(file('b.wav', mulaw(4)))).toBe(0.5);
    const stereo = writeWav({ sampleRate: 16000, channels: [tone(24000), tone(24000)] }, 'pcm16');
    expect(wavFileDurationMs(file('c.wav', stereo))).toBe(1500);
  });
  it('falls back to the whole file when the header runs past the bytes read first', () => {
    expect(wavFileDurationMs(file('d.wav', withLeadingChunk(mulaw(8000), 10_000)))).toBe(1000);
  });
  it('throws WavError for broken files', () => {
    expect(() => wavFileDurationMs(file('e.wav', new Uint8Array(0)))).toThrow(WavError);
    expect(() => wavFileDurationMs(file('f.wav', new TextEncoder().encode('not a wav at all')))).toThrow(
      WavError,
    );
    expect(() =>
      wavFileDurationMs(file('g.wav', withLeadingChunk(mulaw(10), 10_000).subarray(0, 6000))),
    ).toThrow(WavError);
  });
});

describe('corpusStats', () => {
  it('sums files and seconds per corpus, split, label and speaker, listing unreadable and unassigned clips', () => {
    const root = join(dir, 'data');
    file('data/tess/OAF/OAF_dog_fear.wav', mulaw(800));
    file('data/tess/OAF/OAF_dog_ps.wav', mulaw(1600));
    file('data/tess/YAF/YAF_dog_fear.wav', mulaw(400));
    file('data/urdu/Sad/SM99_F1_S01.wav', mulaw(8000));
    file('data/urdu/Sad/SM99_F2_S02.wav', new Uint8Array(3));
    file('data/urdu/Sad/notes.txt', new Uint8Array(1));
    const manifest = loadSplitManifest();
    const stats = corpusStats(scanCorporaReport(root), manifest);
    // 'dog' is in the committed word protocol; both TESS speakers share its split.
    const dogSplit = manifest.splitOf({
      corpus: 'tess',
      path: '',
      speaker: 'OAF',
      label: 'fear',
      emotion: 'fear',
      text: 'dog',
    });
    expect(stats.rows).toEqual([
      { corpus: 'tess', split: dogSplit, emotion: 'fear', speaker: 'OAF', files: 1, seconds: 0.1 },
      { corpus: 'tess', split: dogSplit, emotion: 'fear', speaker: 'YAF', files: 1, seconds: 0.05 },
      {
        corpus: 'tess',
        split: dogSplit,
        emotion: 'pleasant_surprise',
        speaker: 'OAF',
        files: 1,
        seconds: 0.2,
      },
      { corpus: 'urdu', split: 'unassigned', emotion: 'sad', speaker: 'SM99', files: 1, seconds: 1 },
    ]);
    expect(stats.unreadable.map((u) => [u.corpus, u.path])).toEqual([['urdu', 'Sad/SM99_F2_S02.wav']]);
    expect(stats.issues.map((i) => [i.corpus, i.code])).toEqual([['urdu', 'not-wav']]);
  });
});
