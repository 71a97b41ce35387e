// Alerts from live scores reach /watch subscribers and the tenant's webhook (with retry).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaMessages, startMessage, stopMessage } from '../../clients/twilio-client.ts';
import { DEFAULT_ALERT_RULES } from '../../core/alerts/rules.ts';
import type { AlertEvent } from '../../core/events/schema.ts';
import { voiced } from '../../core/streaming/testing/synthetic.ts';
import { DEFAULT_POLICY } from '../../core/tenancy/policy.ts';
import type { App } from '../../services/live/app.ts';
import { connect, isSummary, TOKEN, tempModelDir, testApp } from '../testing/e2e.ts';

const model = tempModelDir();
let app: App;
const received: AlertEvent[] = [];
let attempts = 0;
const hook = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    // The first delivery fails: the alert must arrive on the retry.
    res.statusCode = ++attempts === 1 ? 503 : 204;
    if (res.statusCode === 204) received.push(JSON.parse(body));
    res.end();
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  // Any frustration at all, held for 2 s, alerts: the random test model cannot be made angry on cue.
  const alerts = {
    ...DEFAULT_ALERT_RULES,
    customerFrustration: { enabled: true, threshold: 0, criticalThreshold: 1, sustainMs: 2000 },
  };
  app = await testApp(model.dir, {
    policies: { hooked: { ...DEFAULT_POLICY, alerts, webhooks: [url] } },
    webhookBaseDelayMs: 10,
  });
});
afterAll(async () => {
  await app.stop();
  hook.close();
  model.remove();
});

describe('alerts', () => {
  it('go to /watch and to the webhook, once per cooldown', async () => {
    const call = { callSid: 'CA-alert', streamSid: 'MZ-alert', params: { tenant: 'hooked', token: TOKEN } };
    const watcher = connect(`${app.urls.watch}?tenant=hooked`);
    await watcher.opened;
    const ws = connect(app.urls.twilio!);
    await ws.opened;
    ws.ws.send(startMessage(call));
    for (const m of mediaMessages(call, 'inbound', voiced(8000))) ws.ws.send(m);
    ws.ws.send(stopMessage(call));
    const summary = (await watcher.waitFor(isSummary)) as { alerts: number };
    const alerts = watcher.events().filter((e): e is AlertEvent => e.type === 'alert');
    // Windows end at 2, 3, … 8 s; the run starts at 2 s and lasts 2 s at the 4 s window.
    expect(alerts.map((a) => [a.rule, a.atMs])).toEqual([['customer_frustration_sustained', 4000]]);
    expect(summary.alerts).toBe(1);
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(attempts).toBe(2);
    expect(received).toEqual(alerts);
    ws.ws.close();
    watcher.ws.close();
  });
});
