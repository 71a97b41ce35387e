// Retakes the README's screenshots from a fresh run of the product: `voicepulse serve` (committed
// model, analytics on the ClickHouse server the tests use, database voicepulse_readme, dropped
// first), a wave of three demo calls played at twice real time (they end: the KPI strip's last-hour baseline),
// then six more in real time, 1.5 s apart, with the wallboard open. A supervisor acknowledges the
// first alert, the first call's timeline is opened, and the board is captured; once the calls have
// ended and the sink has flushed, dashboards/testing/preview.ts renders the customer-satisfaction
// dashboard from the stored events.
//   source ~/.cache/voicepulse/services.env && node bin/run-ts.js test/browser/readme-screenshots.ts
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { demoCall } from '../../clients/demo-call.ts';
import { playCall } from '../../clients/players.ts';
import { DEFAULT_ALERT_RULES } from '../../core/alerts/rules.ts';
import { serviceEndpoint } from '../testing/services.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const TOKEN = 'readme-screenshot-token';
const DATABASE = 'voicepulse_readme';
const AGENTS = ['agent-ana', 'agent-ben', 'agent-cy'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function main(): Promise<void> {
  const clickhouse = serviceEndpoint('clickhouse').url;
  await fetch(`${clickhouse}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS ${DATABASE}` });
  const dir = mkdtempSync(join(tmpdir(), 'vp-readme-'));
  const policies = join(dir, 'policies.json');
  // Agent scoring on, so the cards show the agent row; the alert rules are the defaults.
  writeFileSync(
    policies,
    JSON.stringify({ demo: { agentEmotionScoring: true, alerts: DEFAULT_ALERT_RULES, webhooks: [] } }),
  );
  const port = await freePort();
  const serve: ChildProcess = spawn(
    process.execPath,
    [
      'bin/voicepulse.js',
      'serve',
      '--port',
      String(port),
      '--grpc-port',
      '0',
      '--policies',
      policies,
      '--clickhouse',
      clickhouse,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        VOICEPULSE_TOKEN: TOKEN,
        VOICEPULSE_CLICKHOUSE_DATABASE: DATABASE,
        VOICEPULSE_GRAFANA_URL: 'http://127.0.0.1:3000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/healthz`).catch(() => undefined))?.ok) break;
      if (i > 120 || serve.exitCode !== null) throw new Error('serve did not come up');
      await sleep(500);
    }
    const call = await demoCall();
    const play = (wave: string, i: number, speed: number) =>
      playCall('twilio', {
        url: base.replace('http', 'ws'),
        token: TOKEN,
        callId: `call-${wave}${i + 1}`,
        tenant: 'demo',
        agent: AGENTS[i % AGENTS.length]!,
        queue: i % 2 === 0 ? 'billing' : 'support',
        customer: call.customer,
        agentAudio: call.agent,
        speed,
      });
    await Promise.all([0, 1, 2].map((i) => play('a', i, 2)));
    await sleep(3000); // scoring catches up before the next wave is admitted

    const { executablePath, args } = serviceEndpoint('chromium');
    const browser = await chromium.launch({ executablePath, args: [...args] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/?tenant=demo&token=${TOKEN}`);
    await page.waitForSelector('#status[data-state="open"]');
    await page.fill('#supervisor', 'Dana');
    const live = [0, 1, 2, 3, 4, 5].map(async (i) => {
      await sleep(i * 1500);
      await play('b', i, 1);
    });
    await page.waitForSelector('#alerts li[data-call-id="call-b1"] .ack-button', { timeout: 40_000 });
    await page.click('#alerts li[data-call-id="call-b1"] .ack-button');
    await page.click('.call[data-call-id="call-b1"]');
    await sleep(5000);
    await page.screenshot({ path: join(ROOT, 'docs/img/wallboard.png'), fullPage: true });
    await browser.close();
    await Promise.all(live);
    await sleep(5000); // the sink's last batch
    execFileSync(
      process.execPath,
      [
        'bin/run-ts.js',
        'dashboards/testing/preview.ts',
        '--clickhouse',
        clickhouse,
        '--database',
        DATABASE,
        '--tenant',
        'demo',
        '--hours',
        '1',
        '--dashboard',
        'customer-satisfaction.json',
        '--out',
        'docs/img/dashboard-customer-satisfaction.png',
      ],
      { cwd: ROOT, stdio: 'inherit' },
    );
  } finally {
    serve.kill('SIGTERM');
  }
}

await main();
