import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertAckEvent } from '../../../core/events/schema.ts';
import { EMOTION_COLORS } from '../../../core/palette.ts';
import type { BoardSnapshot } from './history.ts';
import { ackOf, alertAt, scoreAt } from './testing/events.ts';
import { createWallboard, type Wallboard } from './wallboard.ts';

const OPERATOR = 'operator-token';
const ACME = 'acme-token-0123456789';
const auth = { operatorToken: OPERATOR, tenantTokens: { acme: ACME } };

describe('wallboard HTTP handler', () => {
  let server: Server;
  let base: string;
  let wallboard: Wallboard;

  beforeAll(async () => {
    wallboard = createWallboard({ auth, grafanaUrl: 'http://grafana.test:3000/' });
    server = createServer((req, res) => {
      wallboard.handle(req, res).then((handled) => {
        if (!handled) {
          res.writeHead(418);
          res.end('not mine');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(
    () =>
      new Promise<void>((resolve) => {
        wallboard.close();
        server.close(() => resolve());
      }),
  );

  it('redirects / to the board, keeping the query', async () => {
    const res = await fetch(`${base}/?tenant=demo&token=abc`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/wallboard/?tenant=demo&token=abc');
  });

  it.each([
    ['/wallboard/', 'text/html', '<title>VoicePulse wallboard</title>'],
    ['/wallboard/wallboard.js', 'text/javascript', 'api/stream'],
    ['/wallboard/palette.css', 'text/css', `--angry: ${EMOTION_COLORS.angry};`],
    ['/wallboard/wallboard.css', 'text/css', '.call'],
    ['/wallboard/vendor/uPlot.iife.min.js', 'text/javascript', 'uPlot'],
    ['/wallboard/vendor/uPlot.min.css', 'text/css', '.uplot'],
  ])('serves %s', async (path, type, snippet) => {
    const res = await fetch(base + path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(type);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain(snippet);
  });

  /** A GET with the path exactly as given (fetch would normalise `..` away). */
  function rawGet(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}/`, { path }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves nothing outside its file list (no traversal) and only GET/HEAD', async () => {
    for (const path of ['/wallboard/nope.js', '/wallboard/vendor/uPlot.d.ts']) {
      expect((await rawGet(path)).status, path).toBe(404);
    }
    // `..` never escapes: URL parsing resolves it before the path is matched, so it is not ours.
    for (const path of ['/wallboard/../package.json', '/wallboard/%2e%2e/package.json']) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(418);
      expect(res.body, path).not.toContain('"name"');
    }
    expect((await fetch(`${base}/wallboard/`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/wallboard/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('leaves other paths to the next handler', async () => {
    expect((await fetch(`${base}/api/calls`)).status).toBe(418);
    expect((await fetch(`${base}/healthz`)).status).toBe(418);
  });

  const get = (path: string, token?: string) =>
    fetch(base + path, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('refuses a missing or wrong token and another tenant with a code the board can explain', async () => {
    const cases: Array<[string, string | undefined, number, string]> = [
      ['/wallboard/api/snapshot?tenant=acme', undefined, 401, 'MISSING_TOKEN'],
      ['/wallboard/api/snapshot?tenant=acme', 'wrong', 401, 'TOKEN_REFUSED'],
      ['/wallboard/api/stream?tenant=globex', ACME, 403, 'TENANT_FORBIDDEN'],
      ['/wallboard/api/snapshot?tenant=a%20b', OPERATOR, 400, 'BAD_REQUEST'],
      ['/wallboard/api/calls/nope?tenant=acme', ACME, 404, 'NOT_FOUND'],
      ['/wallboard/api/nothing', OPERATOR, 404, 'NOT_FOUND'],
    ];
    for (const [path, token, status, code] of cases) {
      const res = await get(path, token);
      expect([path, res.status, ((await res.json()) as { code: string }).code]).toEqual([path, status, code]);
    }
    // The token is taken from the Authorization header only, never from the URL.
    expect((await get(`/wallboard/api/snapshot?tenant=acme&token=${ACME}`)).status).toBe(401);
    expect(
      (
        await fetch(`${base}/wallboard/api/snapshot`, {
          method: 'POST',
          headers: { authorization: `Bearer ${OPERATOR}` },
        })
      ).status,
    ).toBe(405);
  });

  it('streams a snapshot, then the tenant’s events and acknowledgements, to every board', async () => {
    const call = {
      tenantId: 'acme',
      callId: 'c-1',
      agentId: 'ann',
      queue: 'billing',
      startedAtMs: Date.now() - 5000,
    };
    wallboard.record(scoreAt(call, 2000, 0.3));
    const alert = alertAt(call, 3000, 'critical');
    wallboard.record(alert);
    const boards = await Promise.all([
      get('/wallboard/api/stream?tenant=acme', ACME),
      get('/wallboard/api/stream', ACME),
    ]);
    const readers = boards.map((b) => lines(b));
    for (const r of readers) {
      const snapshot = await r.next();
      expect(snapshot).toMatchObject({
        type: 'snapshot',
        tenantId: 'acme',
        calls: [{ callId: 'c-1' }],
        alerts: [{ eventId: alert.eventId, ack: null }],
      });
      expect(snapshot.grafanaCallUrl).toBe(
        'http://grafana.test:3000/d/voicepulse-call-timeline/call-timeline?var-tenant=acme&var-call_id=__CALL_ID__',
      );
    }
    wallboard.record(scoreAt({ ...call, tenantId: 'globex' }, 2000, 0.9));
    wallboard.record(scoreAt(call, 3000, 0.5));
    for (const r of readers)
      expect(await r.next()).toMatchObject({ type: 'score', callId: 'c-1', windowEndMs: 3000 });
    const ack = await fetch(
      `${base}/wallboard/api/alerts/${encodeURIComponent(alert.eventId)}/ack?tenant=acme`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ACME}`, 'content-type': 'application/json' },
        body: JSON.stringify({ by: ' Dana ' }),
      },
    );
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ alertId: alert.eventId, ack: { by: 'Dana' } });
    for (const r of readers)
      expect(await r.next()).toMatchObject({ type: 'ack', alertId: alert.eventId, ack: { by: 'Dana' } });
    for (const r of readers) await r.cancel();
    const history = await get('/wallboard/api/calls/c-1?tenant=acme', ACME);
    expect(((await history.json()) as { windows: { endMs: number[] } }).windows.endMs).toEqual([2000, 3000]);
  });

  it('refuses acknowledgements it cannot record', async () => {
    const post = (path: string, body: string) =>
      fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` }, body });
    expect((await post('/wallboard/api/alerts/none/ack?tenant=acme', '{"by":"x"}')).status).toBe(404);
    expect((await post('/wallboard/api/alerts/none/ack?tenant=acme', '{"by":""}')).status).toBe(400);
    expect((await post('/wallboard/api/alerts/none/ack?tenant=acme', 'not json')).status).toBe(400);
    expect(
      (await post('/wallboard/api/alerts/none/ack?tenant=acme', JSON.stringify({ by: 'x'.repeat(5000) })))
        .status,
    ).toBe(413);
  });
});

describe('wallboard acknowledgements and the history store', () => {
  const call = { tenantId: 'acme', callId: 'c-9', customerId: 'cust-9', startedAtMs: Date.now() - 60_000 };
  const stored = alertAt(call, 10_000, 'critical');
  const live = alertAt(call, 50_000, 'warning');

  async function boardWith(options: Partial<Parameters<typeof createWallboard>[0]>) {
    const wallboard = createWallboard({ auth, ...options });
    const server = createServer((req, res) => void wallboard.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wallboard/api/`;
    const call = (path: string, init: RequestInit = {}) =>
      fetch(base + path, { ...init, headers: { authorization: `Bearer ${ACME}` } });
    const ack = (alertId: string, by: string) =>
      call(`alerts/${encodeURIComponent(alertId)}/ack`, { method: 'POST', body: JSON.stringify({ by }) });
    const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    return { wallboard, call, ack, close };
  }

  it('publishes an acknowledgement before recording it, and records none the bus refused', async () => {
    const published: AlertAckEvent[] = [];
    let refuse = true;
    const board = await boardWith({
      publish: async (event) => {
        if (refuse) throw new Error('bus down');
        published.push(event);
      },
      onError: () => {},
    });
    board.wallboard.record(live);
    const refused = await board.ack(live.eventId, 'Dana');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    refuse = false;
    expect((await board.ack(live.eventId, 'Dana')).status).toBe(200);
    expect((await board.ack(live.eventId, 'Eve')).status).toBe(200);
    expect(published).toEqual([
      expect.objectContaining({ type: 'alert_ack', alertId: live.eventId, by: 'Dana', customerId: 'cust-9' }),
    ]);
    await board.close();
  });

  it("reads a tenant's stored alerts and acknowledgements once, again after a failed read", async () => {
    const reads: string[] = [];
    let fail = true;
    const errors: Error[] = [];
    const board = await boardWith({
      store: {
        async alertsSince(tenantId) {
          reads.push(tenantId);
          if (fail) throw new Error('store down');
          return { alerts: [stored], acks: [ackOf(stored, 'Dana', stored.producedAtMs + 1000)] };
        },
      },
      onError: (err) => errors.push(err),
    });
    board.wallboard.record(live);
    const first = (await (await board.call('snapshot')).json()) as BoardSnapshot;
    expect(first.alerts.map((a) => a.eventId)).toEqual([live.eventId]);
    expect(errors.map((e) => e.message)).toEqual(['store down']);
    fail = false;
    for (let i = 0; i < 2; i++) {
      const snapshot = (await (await board.call('snapshot')).json()) as BoardSnapshot;
      expect(snapshot.alerts.map((a) => [a.eventId, a.ack?.by ?? null])).toEqual([
        [stored.eventId, 'Dana'],
        [live.eventId, null],
      ]);
    }
    expect(reads).toEqual(['acme', 'acme']);
    await board.close();
  });
});

/** Reads a newline-delimited JSON response one message at a time. */
function lines(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    async next(): Promise<Record<string, unknown>> {
      for (;;) {
        const newline = buffered.indexOf('\n');
        if (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          const message = JSON.parse(line) as Record<string, unknown>;
          if (message.type !== 'ping') return message;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffered += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}
