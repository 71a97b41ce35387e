// `npm start` as a newcomer runs it: the demo call plays, the committed model raises the frustration
// alert, and the process keeps serving the wallboard link it printed until Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

it('plays the demo, fires the alert, then keeps serving the printed wallboard link until SIGINT', async () => {
  const env = { ...process.env };
  delete env.VOICEPULSE_TOKEN;
  delete env.VOICEPULSE_PORT;
  child = spawn(process.execPath, ['bin/voicepulse.js', 'start', '--speed', '8'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const waitFor = async (text: string, ms: number) => {
    const until = Date.now() + ms;
    while (!out.includes(text)) {
      if (Date.now() > until || child!.exitCode !== null)
        throw new Error(`no '${text}' in start's output:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitFor('Press Ctrl-C to stop.', 60_000);
  expect(out).toMatch(/ALERT (WARNING|CRITICAL) customer_frustration_sustained/);
  expect(out).toContain('Still serving: the wallboard shows the call and its alert at');

  // The link printed after the demo still works: the board's page, then its data with the token.
  const link = /Still serving[^\n]*\n\s+(http\S+)/.exec(out)?.[1];
  expect(link).toMatch(/\/\?tenant=demo&token=\S+$/);
  const page = await fetch(link!);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<title>VoicePulse wallboard</title>');
  const url = new URL(link!);
  const snapshot = await fetch(`${url.origin}/wallboard/api/snapshot?tenant=demo`, {
    headers: { authorization: `Bearer ${url.searchParams.get('token')}` },
  });
  expect(snapshot.status).toBe(200);
  const body = (await snapshot.json()) as { alerts: { rule: string }[] };
  expect(body.alerts.map((a) => a.rule)).toContain('customer_frustration_sustained');

  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
}, 90_000);
