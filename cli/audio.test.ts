// Every command that reads audio (classify, eval, features, analyze) reads it the same way: a WAV
// whose header lies about its sizes is read with one warning line for the file, a file over the size
// limit is refused before reading with one line and exit 3, and the limit is one setting
// (VOICEPULSE_MAX_AUDIO_FILE_MB) or flag (--max-file-mb).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWav } from '../core/audio/wav.ts';
import { voiced } from '../core/streaming/testing/synthetic.ts';

const BIN = resolve(import.meta.dirname, '..', 'bin', 'voicepulse.js');
const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vp-cli-audio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function voicepulse(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], {
      env: { ...process.env, VOICEPULSE_CHDB_PATH: join(dir, 'chdb'), ...env },
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// 3 s of speech whose header says the file is 1000008 bytes and its data 1000000.
const samples = voiced(3000);
const bytes = writeWav({ sampleRate: 8000, channels: [samples] }, 'pcm16');
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
view.setUint32(4, 1_000_000, true);
view.setUint32(bytes.length - 2 * samples.length - 4, 1_000_000, true);
const liar = join(dir, 'liar.wav');
writeFileSync(liar, bytes);
const WARNING = `voicepulse: warning: ${liar}: RIFF size says 1000008 bytes, the file has ${bytes.length}; data chunk declares 1000000 bytes, only ${2 * samples.length} present (truncated)`;

// Sparse: no disk used, but stat says 600 MiB.
const huge = join(dir, 'huge.wav');
writeFileSync(huge, '');
truncateSync(huge, 600 * 1024 * 1024);
const refusal = (limit: number) => `voicepulse: ${huge}: 629145600 bytes, over the limit of ${limit}`;
const MIB = 1024 * 1024;

const labels = (name: string, file: string) => {
  const path = join(dir, name);
  writeFileSync(path, `file,emotion\n${file},angry\n`);
  return path;
};

const stderrLines = (stderr: string) => stderr.split('\n').filter((l) => l.length > 0);

describe('audio input of every command', () => {
  it('features, classify and eval read a WAV whose header lies with one warning line', async () => {
    const runs = await Promise.all([
      voicepulse(['features', liar, '--kind', 'rms']),
      voicepulse(['classify', liar, '--json']),
      voicepulse(['eval', '--dir', dir, '--labels', labels('liar.csv', 'liar.wav'), '--json']),
    ]);
    for (const r of runs) {
      expect(r.stderr).toBe(`${WARNING}\n`);
      expect(r.code).toBe(0);
    }
    expect(runs[0]!.stdout).toContain('3000 ms');
    expect((JSON.parse(runs[1]!.stdout) as { windows: unknown[] }).windows.length).toBeGreaterThan(0);
    expect((JSON.parse(runs[2]!.stdout) as { n: number }).n).toBe(1);
  });

  it('features, classify and eval refuse a file over 512 MiB before reading it: one line, exit 3', async () => {
    const runs = await Promise.all([
      voicepulse(['features', huge, '--kind', 'rms']),
      voicepulse(['classify', huge]),
      voicepulse(['eval', '--dir', dir, '--labels', labels('huge.csv', 'huge.wav')]),
    ]);
    for (const r of runs) {
      expect(r.stderr).toBe(`${refusal(512 * MIB)}\n`);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
    }
  });

  it('takes the limit from --max-file-mb, else VOICEPULSE_MAX_AUDIO_FILE_MB', async () => {
    const small = join(dir, 'small.wav');
    writeFileSync(small, '');
    truncateSync(small, 2 * MIB);
    const over = `voicepulse: ${small}: ${2 * MIB} bytes, over the limit of ${MIB}\n`;
    const [flag, env, both, bad] = await Promise.all([
      voicepulse(['classify', small, '--max-file-mb', '1']),
      voicepulse(['features', small, '--kind', 'rms'], { VOICEPULSE_MAX_AUDIO_FILE_MB: '1' }),
      // The flag wins over the setting: 3 MiB admits the file, which then is no audio.
      voicepulse(['features', small, '--kind', 'rms', '--max-file-mb', '3'], {
        VOICEPULSE_MAX_AUDIO_FILE_MB: '1',
      }),
      voicepulse(['eval', '--dir', dir, '--max-file-mb', '0']),
    ]);
    expect([flag.code, flag.stderr]).toEqual([3, over]);
    expect([env.code, env.stderr]).toEqual([3, over]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/small\.wav: not a readable WAV file/);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      "voicepulse: --max-file-mb must be an integer in 1..2047, got '0'\n",
    ]);
    const setting = await voicepulse(['classify', small], { VOICEPULSE_MAX_AUDIO_FILE_MB: '4096' });
    expect(setting.code).toBe(2);
    expect(setting.stderr).toMatch(/VOICEPULSE_MAX_AUDIO_FILE_MB must be an integer in 1\.\.2047/);
  });

  it('analyze: one warning line for the lying WAV, one refusal line for the file over the limit, the batch goes on', async () => {
    const r = await voicepulse(['analyze', liar, huge, '--threads', '1', '--max-file-mb', '100']);
    expect(r.code).toBe(0);
    const lines = stderrLines(r.stderr);
    expect(lines.filter((l) => l.startsWith('voicepulse: '))).toEqual([refusal(100 * MIB), WARNING]);
    expect(r.stdout).toMatch(/1 analysed, 0 skipped \(already stored\), 0 failed/);
  });
});
