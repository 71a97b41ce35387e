// Uploaded recordings outlive the process that accepted them: `serve` keeps its jobs in
// VOICEPULSE_RECORDINGS_DIR (a volume in compose and k8s), and the next `serve` on that folder runs
// what the last one left, here after a kill -9.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { callWav, syntheticCall } from '../../core/recordings/testing/audio.ts';
import { tempModelDir } from '../testing/e2e.ts';
import { type Started, startProcess, until } from '../testing/processes.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'spool-test-token-8e1f0c2b7a';
const model = tempModelDir();
const dir = mkdtempSync(join(tmpdir(), 'vp-spool-e2e-'));
const spool = join(dir, 'spool');
const started: Started[] = [];
afterAll(async () => {
  for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  model.remove();
  rmSync(dir, { recursive: true, force: true });
});

function serve(over: NodeJS.ProcessEnv = {}): Started {
  const s = startProcess(
    [process.execPath, 'bin/voicepulse.js', 'serve', '--port', '0', '--model', model.dir, '--threads', '1'],
    {
      cwd: root,
      env: {
        ...process.env,
        VOICEPULSE_TOKEN: TOKEN,
        VOICEPULSE_CACHE_DIR: join(dir, 'cache'),
        VOICEPULSE_CHDB_PATH: join(dir, 'chdb'),
        VOICEPULSE_RECORDINGS_DIR: spool,
        // The pod's name, as k8s keeps it across a restart of its container.
        VOICEPULSE_POD_ID: 'live-0',
        VOICEPULSE_LOG_LEVEL: 'warn',
        ...over,
      },
    },
  );
  started.push(s);
  return s;
}

const base = (s: Started) =>
  until('serving', () => /health\s+(http:\/\/\S+)\/healthz/.exec(s.output())?.[1], s);
const auth = { authorization: `Bearer ${TOKEN}` };

describe('voicepulse serve with VOICEPULSE_RECORDINGS_DIR', () => {
  it('keeps an accepted upload there, and the next serve on that folder runs it', async () => {
    const first = serve();
    const url = await base(first);
    // Ten minutes of call: still being analysed when the process is killed.
    const wav = callWav(syntheticCall(600, { seed: 8 }));
    const accepted = await fetch(`${url}/api/recordings?callId=spooled-1&startedAt=2024-03-05T10:00:00Z`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'audio/wav' },
      body: wav,
    });
    first.child.kill('SIGKILL');
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    await first.exited;
    const own = join(spool, 'owners', 'live-0');
    // The kill may cut a record update, leaving its temporary file beside the intact record.
    expect(
      readdirSync(own)
        .filter((f) => !f.endsWith('.json.tmp'))
        .sort(),
    ).toEqual(['.alive', `${id}.audio`, `${id}.json`]);
    expect(existsSync(join(dir, 'cache', 'recordings'))).toBe(false);

    const second = serve();
    const again = await base(second);
    const job = await until(
      'the job done',
      async () => {
        const j = (await (await fetch(`${again}/api/recordings/${id}`, { headers: auth })).json()) as {
          status: string;
          callId: string | null;
          report: { durationS: number } | null;
        };
        return j.status === 'done' || j.status === 'failed' ? j : undefined;
      },
      second,
    );
    expect(job).toMatchObject({ status: 'done', callId: 'spooled-1', report: { durationS: 600 } });
    expect(readdirSync(own).filter((f) => f.endsWith('.audio'))).toEqual([]);
    const timeline = await fetch(`${again}/api/calls/spooled-1/timeline?tenant=default`, { headers: auth });
    expect(timeline.status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // A clean stop leaves the folder unmarked: the next process to start adopts what is left at once.
    expect(readdirSync(own)).not.toContain('.alive');
  });

  it('stops with one line naming the setting when the folder cannot hold the spool', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, '');
    const s = serve({ VOICEPULSE_RECORDINGS_DIR: file, VOICEPULSE_CHDB_PATH: join(dir, 'chdb-2') });
    expect(await s.exited).toBe(1);
    const lines = s.output().trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /^voicepulse: INVALID_SETTING: VOICEPULSE_RECORDINGS_DIR \S+not-a-folder cannot hold the recordings spool: ENOTDIR/,
    );
  });
});
