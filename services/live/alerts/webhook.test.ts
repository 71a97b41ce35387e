import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertEvent, EVENT_SCHEMA_VERSION } from '../../../core/events/schema.ts';
import { WebhookDelivery } from './webhook.ts';

const alert: AlertEvent = {
  schemaVersion: EVENT_SCHEMA_VERSION,
  eventId: 'c:alert:customer_frustration_sustained:9000',
  tenantId: 't',
  callId: 'c',
  agentId: null,
  queue: null,
  producedAtMs: 1,
  type: 'alert',
  rule: 'customer_frustration_sustained',
  speaker: 'customer',
  severity: 'warning',
  atMs: 9000,
  value: 0.7,
  threshold: 0.5,
  message: 'frustrated',
};

let close: (() => void) | undefined;
afterEach(() => close?.());

/** A local webhook receiver answering with the given statuses in turn. */
async function receiver(statuses: number[]) {
  const bodies: string[] = [];
  const keys: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      bodies.push(body);
      keys.push(String(req.headers['idempotency-key']));
      res.statusCode = statuses[bodies.length - 1] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => server.close();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, keys };
}

describe('WebhookDelivery', () => {
  it('retries 5xx until the receiver accepts', async () => {
    const r = await receiver([503, 500, 200]);
    const failures: string[] = [];
    const d = new WebhookDelivery({ baseDelayMs: 5, onFailure: (_u, _a, e) => failures.push(e) });
    d.deliver(r.url, alert);
    await d.settled();
    expect(r.bodies.length).toBe(3);
    expect(JSON.parse(r.bodies[2]!)).toEqual(alert);
    expect(new Set(r.keys)).toEqual(new Set([alert.eventId]));
    expect(failures).toEqual([]);
  });

  it('gives up after maxAttempts, and at once on a 4xx', async () => {
    const r = await receiver([500, 500, 500, 400]);
    const failures: string[] = [];
    const d = new WebhookDelivery({
      baseDelayMs: 1,
      maxAttempts: 3,
      onFailure: (_u, _a, e) => failures.push(e),
    });
    d.deliver(r.url, alert);
    await d.settled();
    expect(r.bodies.length).toBe(3);
    d.deliver(r.url, alert);
    await d.settled();
    expect(r.bodies.length).toBe(4);
    expect(failures).toEqual(['HTTP 500', 'HTTP 400']);
  });

  it('reports an unreachable receiver', async () => {
    const failures: string[] = [];
    const d = new WebhookDelivery({
      baseDelayMs: 1,
      maxAttempts: 2,
      onFailure: (_u, _a, e) => failures.push(e),
    });
    d.deliver('http://127.0.0.1:1/hook', alert);
    await d.settled();
    expect(failures.length).toBe(1);
  });
});
