import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resample } from '../../core/audio/resample.ts';
import type { SampleFormat } from '../../core/audio/wav.ts';
import { readWav, writeWav } from '../../core/audio/wav.ts';
import { chromaStft } from '../../core/features/chroma.ts';
import { TELEPHONY_FEATURES } from '../../core/features/config.ts';
import { logMelSpectrogram } from '../../core/features/logmel.ts';
import type { FeatureMatrix } from '../../core/features/matrix.ts';
import { melSpectrogram } from '../../core/features/mel.ts';
import { mfcc } from '../../core/features/mfcc.ts';
import { spectralCentroid } from '../../core/features/spectral.ts';
import { rms, zeroCrossingRate } from '../../core/features/temporal.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'voicepulse.js');
const execFileAsync = promisify(execFile);

async function voicepulse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, 'features', ...args], {
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'vp-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a WAV of a gliding tone plus a little deterministic noise and returns its path and decoded channels. */
function wavFile(name: string, format: SampleFormat, channels: number, sampleRate = 8000, frames = 12_000) {
  const data = Array.from({ length: channels }, (_, c) =>
    Float32Array.from(
      { length: frames },
      (_, i) => 0.3 * Math.sin(i * (0.05 + c * 0.02 + i * 2e-6)) + 0.01 * Math.sin(i * i * 0.37),
    ),
  );
  const path = join(dir, name);
  const bytes = writeWav({ sampleRate, channels: data }, format);
  writeFileSync(path, bytes);
  return { path, decoded: readWav(bytes).channels };
}

async function json(...args: string[]): Promise<FeatureMatrix> {
  const r = await voicepulse(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const parsed = JSON.parse(r.stdout) as { shape: [number, number]; data: number[][] };
  const [rows, cols] = parsed.shape;
  expect(parsed.data.length).toBe(rows);
  return { rows, cols, data: Float32Array.from(parsed.data.flat()) };
}

function expectSame(got: FeatureMatrix, want: FeatureMatrix): void {
  expect([got.rows, got.cols]).toEqual([want.rows, want.cols]);
  // The JSON numbers are the float32 values printed exactly, so equality is exact.
  expect(Array.from(got.data)).toEqual(Array.from(want.data));
}

describe('voicepulse features', () => {
  const mono = wavFile('mono.wav', 'mulaw', 1);
  const y = mono.decoded[0]!;

  it('--kind logmel with librosa defaults equals logMelSpectrogram', async () => {
    expectSame(await json(mono.path, '--kind', 'logmel'), logMelSpectrogram(y, { sr: 8000 }));
  });

  it('--kind mfcc with the telephony options equals mfcc(y, TELEPHONY_FEATURES)', async () => {
    const got = await json(
      mono.path,
      ...['--kind', 'mfcc', '--n-fft', '256', '--hop-length', '80', '--win-length', '200'],
      ...['--n-mels', '64', '--fmin', '50', '--fmax', '4000', '--top-db', 'none', '--n-mfcc', '20'],
    );
    expect([got.rows, got.cols]).toEqual([20, 1 + Math.floor(y.length / 80)]);
    expectSame(got, mfcc(y, TELEPHONY_FEATURES));
  });

  it('--kind mel --center false and --kind chroma', async () => {
    const opts = { sr: 8000, nFft: 512, hopLength: 256, center: false };
    expectSame(
      await json(mono.path, '--kind', 'mel', '--n-fft', '512', '--hop-length', '256', '--center', 'false'),
      melSpectrogram(y, opts),
    );
    expectSame(await json(mono.path, '--kind', 'chroma'), chromaStft(y, { sr: 8000 }));
  });

  it('downmixes stereo to the mean of the channels (zcr, rms)', async () => {
    const stereo = wavFile('stereo.wav', 'pcm16', 2);
    const [l, r] = stereo.decoded as [Float32Array, Float32Array];
    const mean = Float32Array.from(l, (v, i) => (v + r[i]!) / 2);
    expectSame(await json(stereo.path, '--kind', 'zcr'), zeroCrossingRate(mean));
    expectSame(
      await json(stereo.path, '--kind', 'rms', '--frame-length', '400', '--hop-length', '160'),
      rms(mean, { frameLength: 400, hopLength: 160 }),
    );
  });

  it('--sr resamples first with core/audio/resample', async () => {
    const got = await json(mono.path, '--kind', 'centroid', '--sr', '16000');
    expectSame(got, spectralCentroid(resample(y, 8000, 16000), { sr: 16000 }));
  });

  it('prints a short human summary without --json', async () => {
    const r = await voicepulse(mono.path, '--kind', 'mfcc');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('20 x 24 (features x frames)');
    expect(r.stdout).toContain('8000 Hz mulaw, 1 channel(s), 1500 ms');
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('a WAV whose header lies about its sizes: one warning line for the file, then the features', async () => {
    const bytes = writeWav({ sampleRate: 8000, channels: [y] }, 'mulaw');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint32(4, 1_000_000, true); // RIFF size
    view.setUint32(bytes.length - y.length - 4, 1_000_000, true); // data size: truncated
    const liar = join(dir, 'liar.wav');
    writeFileSync(liar, bytes);
    const r = await voicepulse(liar, '--kind', 'rms');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^voicepulse: warning: .*liar\.wav: RIFF size says 1000008 bytes, the file has \d+; data chunk declares 1000000 bytes, only 12000 present \(truncated\)\n$/,
    );
    expect(r.stdout).toContain('1500 ms');
  });

  describe('bad input: one line on stderr, exit code 2, nothing on stdout', () => {
    const garbage = join(dir, 'garbage.wav');
    writeFileSync(garbage, 'RIFF but not really a wave file');
    const cases: [string, string[], RegExp][] = [
      ['not a WAV', [garbage, '--kind', 'mel'], /garbage\.wav: not a readable WAV file/],
      ['unknown kind', [mono.path, '--kind', 'pitch'], /argument 'pitch' is invalid/],
      ['missing kind', [mono.path], /required option '--kind <kind>'/],
      ['n_fft not a power of two', [mono.path, '--kind', 'mel', '--n-fft', '200'], /power of two/],
      ['bad --center', [mono.path, '--kind', 'mel', '--center', 'yes'], /--center must be true or false/],
      [
        'bad integer',
        [mono.path, '--kind', 'mfcc', '--n-mfcc', '2.5'],
        /--n-mfcc must be a positive integer/,
      ],
      ['option of another kind', [mono.path, '--kind', 'rms', '--n-mels', '40'], /--n-mels does not apply/],
      ['unknown option', [mono.path, '--kind', 'mel', '--hop', '3'], /unknown option '--hop'/],
      [
        '--sr above the audio core maximum',
        [mono.path, '--kind', 'mel', '--sr', '10000000'],
        /sr must be .*1000\.\.768000/,
      ],
      [
        '--sr below the audio core minimum',
        [mono.path, '--kind', 'mel', '--sr', '1'],
        /sr must be .*1000\.\.768000/,
      ],
      [
        '--n-mels beyond the FFT bins',
        [mono.path, '--kind', 'mel', '--n-mels', '100000'],
        /nMels .* at most 1025/,
      ],
      [
        '--fmax above Nyquist',
        [mono.path, '--kind', 'mel', '--fmax', '6000'],
        /fmax 6000 Hz is above the Nyquist frequency 4000 Hz/,
      ],
      [
        'too short for center=false',
        [mono.path, '--kind', 'rms', '--frame-length', '20000', '--center', 'false'],
        /fewer than the frame length/,
      ],
    ];
    it('a missing file: exit 1', async () => {
      const r = await voicepulse(join(dir, 'nope.wav'), '--kind', 'mel');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^voicepulse: .*nope\.wav: no such file\n$/);
    });

    it('refuses a device before reading it: exit 3', async () => {
      const r = await voicepulse('/dev/zero', '--kind', 'mel');
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^voicepulse: \/dev\/zero: a device, not a regular file\n$/);
    });

    it('refuses a file over the size limit before reading it: exit 3', async () => {
      const huge = join(dir, 'huge.wav');
      writeFileSync(huge, '');
      truncateSync(huge, 600 * 1024 * 1024); // sparse: no disk used, but stat says 600 MiB
      const r = await voicepulse(huge, '--kind', 'mel');
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^voicepulse: .*huge\.wav: 629145600 bytes, over the limit of \d+\n$/);
    });

    for (const [title, args, message] of cases) {
      it(title, async () => {
        const r = await voicepulse(...args);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(message);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      });
    }
  });
});
