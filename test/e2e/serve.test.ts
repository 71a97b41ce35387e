// The `voicepulse serve` contract: foreground process, prints its URLs, serves, stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempModelDir } from '../testing/e2e.ts';

const model = tempModelDir();
afterAll(() => model.remove());
const root = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'serve-test-token-5d2c9a7e1f';

describe('voicepulse serve', () => {
  it('prints its URLs, answers, and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['bin/voicepulse.js', 'serve', '--port', '0', '--no-pipeline', '--model', model.dir, '--threads', '1'],
      {
        cwd: root,
        env: { ...process.env, VOICEPULSE_TOKEN: TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let logs = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      logs += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const until = Date.now() + 30_000;
    while (!/health\s+(\S+)/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const health = /health\s+(\S+)/.exec(out)?.[1];
    expect(health, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/healthz$/);
    expect(out).toMatch(/Twilio Media Streams\s+ws:\/\/127\.0\.0\.1:\d+\/twilio/);
    // Anyone may ask whether it is up; the operator also sees the calls in progress.
    expect(await (await fetch(health!)).json()).toEqual({ ok: true });
    const detailed = await fetch(health!, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await detailed.json()).toEqual({ ok: true, activeCalls: 0 });
    // Each scoring thread logs (JSON, stderr) the model and the runtime it loaded.
    while (!logs.includes('scoring thread ready') && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    expect(logs).toMatch(/"shard":0,"model":"model [^"]+","msg":"scoring thread ready"/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
