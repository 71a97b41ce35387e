import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecordingReport } from '../../core/recordings/report.ts';
import { callWav, encodeMp3, syntheticCall } from '../../core/recordings/testing/audio.ts';
import { CALL_COLUMNS } from '../../services/live/query/csv.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'voicepulse.js');
const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vp-analyze-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The command's own embedded store, as serve's would be (VOICEPULSE_CHDB_PATH).
const env = { ...process.env, VOICEPULSE_CHDB_PATH: join(dir, 'chdb') };

async function voicepulse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], {
      env,
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const calls = join(dir, 'calls');
mkdirSync(join(calls, 'more'), { recursive: true });
writeFileSync(join(calls, 'acme_a-1_c-1_20240305T143000Z.wav'), callWav(syntheticCall(12, { seed: 1 })));
const mp3 = syntheticCall(12, { seed: 2 });
writeFileSync(join(calls, 'more', 'acme_a-2_c-2_20240305T150000Z.mp3'), await encodeMp3(mp3.channels, 8000));
writeFileSync(join(calls, 'acme_a-3_c-3_20240305T160000Z.wav'), 'not audio at all');

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.length > 0);

describe('voicepulse analyze', () => {
  it('analyses a folder (WAV and MP3) into the store, reports a bad file on one line, and skips what is stored', async () => {
    const pattern = '{tenant}_{agent}_{callId}_{startedAt}';
    const first = await voicepulse('analyze', calls, '--name-pattern', pattern, '--threads', '1', '--json');
    expect(first.code).toBe(0);
    const reports = lines(first.stdout).map((l) => JSON.parse(l) as RecordingReport);
    expect(reports.map((r) => [r.callId, r.status]).sort()).toEqual([
      ['c-1', 'analysed'],
      ['c-2', 'analysed'],
      ['c-3', 'failed'],
    ]);
    const bad = reports.find((r) => r.callId === 'c-3')!;
    expect(bad.reason).toMatch(/^UNKNOWN_FORMAT: not a WAV, MP3, FLAC or Ogg\/Opus file/);
    expect(first.stderr).toMatch(/failed +.*acme_a-3_c-3.*UNKNOWN_FORMAT/);
    const wav = reports.find((r) => r.callId === 'c-1')!;
    expect(wav).toMatchObject({
      tenant: 'acme',
      agentId: 'a-1',
      startedAt: '2024-03-05T14:30:00.000Z',
      durationS: 12,
    });
    expect(wav.emotion.customer?.windows).toBeGreaterThan(0);
    expect(wav.emotion.agent).toBeNull(); // agent scoring is off by default
    // The summary table goes to stderr with --json; stdout holds only the objects.
    expect(first.stderr).toMatch(/2 analysed, 0 skipped \(already stored\), 1 failed/);

    const again = await voicepulse('analyze', calls, '--name-pattern', pattern, '--threads', '1', '--csv');
    expect(again.code).toBe(0);
    const rows = parse(again.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.callId, r.status]).sort()).toEqual([
      ['c-1', 'skipped'],
      ['c-2', 'skipped'],
      ['c-3', 'failed'],
    ]);

    const exportMarch = (...flags: string[]) =>
      voicepulse(
        'export',
        'calls',
        '--from',
        '2024-03-01',
        '--to',
        '2024-04-01',
        '--tenant',
        'acme',
        ...flags,
      );
    const exported = await exportMarch();
    expect(exported.code).toBe(0);
    const [header, ...callRows] = lines(exported.stdout);
    expect(header).toBe(CALL_COLUMNS.join(','));
    expect(callRows.map((r) => r.split(',')[0])).toEqual(['c-2', 'c-1']); // newest first
    const json = await exportMarch('--json');
    expect(lines(json.stdout).map((l) => (JSON.parse(l) as { startedAtMs: number }).startedAtMs)).toEqual([
      Date.parse('2024-03-05T15:00:00Z'),
      Date.parse('2024-03-05T14:30:00Z'),
    ]);
  });

  it('says what it assumed without metadata, and refuses bad flags as usage errors', async () => {
    const single = join(dir, 'single.wav');
    writeFileSync(single, callWav(syntheticCall(6, { seed: 3 })));
    const r = await voicepulse('analyze', single, '--threads', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /single\.wav: no metadata: call id rec-[0-9a-f]{24} from the content hash, tenant default, start .* from the file's modification time/,
    );
    expect(r.stdout).toMatch(/1 analysed, 0 skipped/);
    expect((await voicepulse('analyze', single, '--customer-channel', 'middle')).code).toBe(2);
    expect((await voicepulse('analyze', single, '--json', '--csv')).code).toBe(2);
    const none = await voicepulse('analyze', join(dir, 'nothing-*.wav'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/nothing-\*\.wav: no such file, folder or matching recording/);
  });
});
