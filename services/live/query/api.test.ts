import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCall } from '../../../core/bus/testing/synthetic.ts';
import type { ClickHouse } from '../../../core/clickhouse/client.ts';
import { migrate } from '../../../core/clickhouse/migrations.ts';
import { SQLISH } from '../../../core/clickhouse/testing/sqlish.ts';
import type { CallSummaryEvent, ScoreEvent, VoicePulseEvent } from '../../../core/events/schema.ts';
import { embeddedClickHouse, serverClickHouse } from '../../../test/testing/clickhouse.ts';
import { insertEvents } from '../../sink/rows.ts';
import { asStored, explained } from '../../sink/testing/explanations.ts';
import { createQueryApi, createQueryRunner, type QueryApi, RateLimitedError } from './api.ts';
import { QueryRateLimiter } from './ratelimit.ts';

const TOKEN_A = 'token-for-tenant-a-0123456789';
const TOKEN_B = 'token-for-tenant-b-0123456789';
const OPERATOR = 'operator-token-0123456789';
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 4, 1, 12); // 2024-05-01 12:00 UTC
const NOW = T0 + 10 * DAY;

/** 24 calls for tenant A over 6 days (4 agents, 2 queues), 5 for tenant B reusing A's ids. */
function dataset() {
  const events: VoicePulseEvent[] = [];
  const summaries: CallSummaryEvent[] = [];
  const add = (tenantId: string, i: number) => {
    const c = syntheticCall({
      tenantId,
      callId: `call-${i}`,
      agentId: `agent-${i % 4}`,
      queue: i % 2 ? 'billing' : 'sales',
      startedAtMs: T0 + Math.floor(i / 4) * DAY + (i % 4) * 3_600_000,
      durationMs: 20_000,
      escalation: ((i * 7) % 24) / 24,
    });
    // Every third call's start named its customer; call-1 was on hold for 7 of its 20 s; call-2's
    // customer windows carry explanations, its agent's none.
    const scores = c.scores.map((s) =>
      i === 2 && s.speaker === 'customer' ? explained(s, s.windowStartMs < 10_000 ? 'neutral' : 'angry') : s,
    );
    const summary = {
      ...c.summary,
      ...(i % 3 === 0 ? { customerId: `+1555000${i}` } : {}),
      ...(i === 1 ? { holdMs: 7000 } : {}),
    };
    events.push(...scores, ...c.alerts, summary);
    if (tenantId === 'tenant-a') summaries.push(summary);
  };
  for (let i = 0; i < 24; i++) add('tenant-a', i);
  for (let i = 0; i < 5; i++) add('tenant-b', i);
  return { events, summaries };
}

async function listen(api: QueryApi): Promise<{ server: Server; base: string }> {
  const server = createServer(async (req, res) => {
    if (!(await api.handle(req, res))) {
      res.writeHead(418);
      res.end('not mine');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { server, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

function apiSuite(name: string, open: () => Promise<{ ch: ClickHouse; cleanup: () => Promise<void> }>) {
  describe(name, () => {
    let server: Server;
    let base: string;
    let cleanup: () => Promise<void>;
    let ch: ClickHouse;
    const { events, summaries } = dataset();
    const errors: Error[] = [];

    beforeAll(async () => {
      const opened = await open();
      cleanup = opened.cleanup;
      ch = opened.ch;
      await migrate(opened.ch);
      await insertEvents(opened.ch, events);
      const api = createQueryApi({
        clickhouse: opened.ch,
        auth: {
          operatorToken: OPERATOR,
          tenantTokens: { 'tenant-a': TOKEN_A, 'tenant-b': TOKEN_B },
          defaultTenant: 'tenant-a',
        },
        now: () => NOW,
        onError: (e) => {
          errors.push(e);
          console.error(e);
        },
      });
      ({ server, base } = await listen(api));
    });
    afterAll(async () => {
      await new Promise((r) => server?.close(r));
      await cleanup?.();
      expect(errors).toEqual([]);
    });

    const getFrom = async (at: string, path: string, token: string | null = TOKEN_A) => {
      const res = await fetch(at + path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
      };
    };
    const get = (path: string, token: string | null = TOKEN_A) => getFrom(base, path, token);

    it('answers only /api/, serves the OpenAPI document, and requires a valid token', async () => {
      expect((await get('/healthz')).status).toBe(418);
      const spec = await get('/api/openapi.json', null);
      expect(spec.status).toBe(200);
      expect(Object.keys(spec.body.paths)).toContain('/api/agents/{agentId}/scorecard');
      expect((await get('/api/calls', null)).status).toBe(401);
      expect((await get('/api/calls', 'wrong-token-0123456789')).status).toBe(401);
      expect(
        (
          await fetch(`${base}/api/calls`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN_A}` },
          })
        ).status,
      ).toBe(405);
    });

    it('isolates tenants: a tenant token never sees another tenant’s rows', async () => {
      const a = await get('/api/calls/call-1/timeline');
      expect(a.status).toBe(200);
      expect(a.body.customer).toHaveLength(10);
      expect(a.body.summary).toMatchObject({ durationMs: 20_000, holdMs: 7000 });
      expect(a.body.agentId).toBe('agent-1');
      expect((await get('/api/calls/call-20/timeline', TOKEN_B)).status).toBe(404);
      expect((await get('/api/calls?tenant=tenant-b')).status).toBe(403);
      const listA = await get(`/api/calls?from=${T0 - DAY}&limit=500`);
      const listB = await get(`/api/calls?from=${T0 - DAY}&limit=500`, TOKEN_B);
      expect(listA.body.calls).toHaveLength(24);
      expect(listB.body.calls).toHaveLength(5);
      const op = await get(`/api/calls?from=${T0 - DAY}&limit=500&tenant=tenant-b`, OPERATOR);
      expect(op.body.calls).toHaveLength(5);
      const card = await get(`/api/agents/agent-0/scorecard?from=${T0 - DAY}`, TOKEN_B);
      expect(card.body.calls).toBe(2);
    });

    it('gives each timeline window its stored explanation (weights as Float32), null where none', async () => {
      const { status, body } = await get('/api/calls/call-2/timeline');
      expect(status).toBe(200);
      const sent = events.filter(
        (e): e is ScoreEvent => e.type === 'score' && e.tenantId === 'tenant-a' && e.callId === 'call-2',
      );
      const customer = sent.filter((e) => e.speaker === 'customer');
      expect(body.customer).toHaveLength(customer.length);
      customer.forEach((e, i) => {
        expect(asStored(body.customer[i].explanation)).toEqual(asStored(e.explanation!));
      });
      expect(
        new Set(body.customer.map((p: { explanation: { emotion: string } }) => p.explanation.emotion)),
      ).toEqual(new Set(['neutral', 'angry']));
      expect(body.agent.length).toBeGreaterThan(0);
      expect(body.agent.every((p: { explanation: unknown }) => p.explanation === null)).toBe(true);
      const other = await get('/api/calls/call-3/timeline');
      expect(other.body.customer.every((p: { explanation: unknown }) => p.explanation === null)).toBe(true);
    });

    it('names each call’s customer in the calls list, null where the start gave none', async () => {
      const { status, body } = await get(`/api/calls?from=${T0 - DAY}&limit=500`);
      expect(status).toBe(200);
      const byId = new Map(summaries.map((s) => [s.callId, s.customerId ?? null]));
      expect(body.calls).toHaveLength(24);
      for (const call of body.calls) expect(call.customerId).toBe(byId.get(call.callId));
      expect(body.calls.filter((c: { customerId: unknown }) => c.customerId !== null)).toHaveLength(8);
    });

    it('computes an agent scorecard over a range', async () => {
      const mine = summaries.filter((s) => s.agentId === 'agent-2' && s.startedAtMs < T0 + 3 * DAY);
      const res = await get(
        `/api/agents/agent-2/scorecard?from=${new Date(T0 - DAY).toISOString()}&to=${T0 + 3 * DAY}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.calls).toBe(mine.length);
      expect(res.body.alerts).toBe(mine.reduce((n, s) => n + s.alerts, 0));
      const mean = (f: (s: CallSummaryEvent) => number) => mine.reduce((n, s) => n + f(s), 0) / mine.length;
      expect(res.body.avgCustomerFrustration).toBeCloseTo(
        mean((s) => s.customer.emotion?.meanFrustration ?? 0),
        5,
      );
      expect(res.body.frustrationChange).toBeCloseTo(
        mean((s) => (s.customer.emotion?.endFrustration ?? 0) - (s.customer.emotion?.startFrustration ?? 0)),
        5,
      );
      expect(res.body.csat).toBeGreaterThanOrEqual(1);
      expect(res.body.csat).toBeLessThanOrEqual(5);
      const empty = await get(`/api/agents/nobody/scorecard?from=${T0}`);
      expect(empty.body).toMatchObject({ calls: 0, avgCustomerFrustration: null, csat: null });
    });

    it('buckets trends by day in the requested time zone', async () => {
      const utc = await get(`/api/queues/billing/trend?from=${T0 - DAY}&bucket=day`);
      expect(utc.status).toBe(200);
      expect(utc.body.points.map((p: { calls: number }) => p.calls)).toEqual([2, 2, 2, 2, 2, 2]);
      expect(utc.body.points[0].start).toBe('2024-05-01T00:00:00');
      // In Tokyo (UTC+9) the 12:00–15:00 UTC calls fall at 21:00–24:00 local: calls at 15:00 UTC
      // (i % 4 = 3, billing) move to the next local day.
      const tokyo = await get(`/api/queues/billing/trend?from=${T0 - DAY}&bucket=day&tz=Asia/Tokyo`);
      expect(tokyo.body.points[0]).toMatchObject({
        start: '2024-05-01T00:00:00',
        calls: 1,
        startMs: Date.UTC(2024, 3, 30, 15),
      });
      expect(tokyo.body.points.reduce((n: number, p: { calls: number }) => n + p.calls, 0)).toBe(12);
      const tenant = await get(`/api/trend?from=${T0 - DAY}&bucket=day`);
      expect(tenant.body.points.map((p: { calls: number }) => p.calls)).toEqual([4, 4, 4, 4, 4, 4]);
    });

    it('pages with cursors without skipping or repeating, in both orders', async () => {
      for (const sort of ['recent', 'frustration']) {
        const seen: { callId: string; startedAtMs: number; peakFrustration: number }[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 20; page++) {
          const res = await get(
            `/api/calls?from=${T0 - DAY}&limit=5&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`,
          );
          expect(res.status).toBe(200);
          seen.push(...res.body.calls);
          cursor = res.body.nextCursor;
          if (!cursor) break;
        }
        expect(seen.map((c) => c.callId).sort()).toEqual(summaries.map((s) => s.callId).sort());
        const keys = seen.map((c) => (sort === 'recent' ? c.startedAtMs : c.peakFrustration));
        expect(keys).toEqual([...keys].sort((x, y) => y - x));
      }
      const most = await get(`/api/calls/most-frustrated?from=${T0 - DAY}&limit=3`);
      const top = [...summaries].sort(
        (x, y) => (y.customer.emotion?.peakFrustration ?? 0) - (x.customer.emotion?.peakFrustration ?? 0),
      );
      expect(most.body.calls.map((c: { peakFrustration: number }) => c.peakFrustration)).toEqual(
        top.slice(0, 3).map((s) => expect.closeTo(s.customer.emotion?.peakFrustration ?? 0, 4)),
      );
      const filtered = await get(
        `/api/calls?from=${T0 - DAY}&limit=500&agent=agent-1&queue=billing&minFrustration=0.5`,
      );
      const want = summaries.filter(
        (s) =>
          s.agentId === 'agent-1' &&
          s.queue === 'billing' &&
          (s.customer.emotion?.peakFrustration ?? 0) >= 0.5,
      );
      expect(filtered.body.calls.map((c: { callId: string }) => c.callId).sort()).toEqual(
        want.map((s) => s.callId).sort(),
      );
      const angry = await get(`/api/calls?from=${T0 - DAY}&limit=500&emotion=angry&minEmotion=0.2`);
      const wantAngry = summaries.filter((s) => (s.customer.emotion?.emotionMix.angry ?? 0) >= 0.2);
      expect(angry.body.calls).toHaveLength(wantAngry.length);
    });

    it('rejects invalid parameters with 400 and the reason', async () => {
      for (const bad of [
        '/api/calls?limit=0',
        '/api/calls?limit=501',
        '/api/calls?minFrustration=2',
        '/api/calls?tz=Mars/Olympus',
        '/api/calls?sort=random',
        '/api/calls?emotion=bored',
        '/api/calls?unknown=1',
        '/api/calls?limit=1&limit=2',
        `/api/calls?from=${T0}&to=${T0 - 1}`,
        '/api/calls?from=yesterday',
        '/api/calls?cursor=not-a-cursor',
        // Tampered cursors: well-formed JSON whose key no page could have produced.
        `/api/calls?cursor=${Buffer.from('{"k":1e308,"id":"x","s":"recent"}').toString('base64url')}`,
        `/api/calls?cursor=${Buffer.from('{"k":-1e308,"id":"x","s":"recent"}').toString('base64url')}`,
        `/api/calls?sort=frustration&cursor=${Buffer.from('{"k":1e308,"id":"x","s":"frustration"}').toString('base64url')}`,
        `/api/calls?cursor=${Buffer.from('{"k":1.5,"id":"x","s":"recent"}').toString('base64url')}`,
        `/api/calls?sort=frustration&cursor=${Buffer.from('{"k":1.5,"id":"x","s":"frustration"}').toString('base64url')}`,
        `/api/agents/${'x'.repeat(200)}/scorecard`,
        '/api/queues/%E0%A4%A/trend',
      ]) {
        const res = await get(bad);
        expect([bad, res.status]).toEqual([bad, 400]);
        expect(typeof res.body.error).toBe('string');
      }
      expect((await get('/api/calls?minFrustration=2')).body.issues[0]).toMatch(/minFrustration/);
    });

    it('treats SQL-ish strings as plain values', async () => {
      for (const s of SQLISH) {
        const e = encodeURIComponent(s);
        for (const path of [
          `/api/calls?agent=${e}&queue=${e}`,
          `/api/agents/${e}/scorecard`,
          `/api/queues/${e}/trend`,
          `/api/calls/${e}/timeline`,
        ]) {
          const res = await get(path);
          expect([path, [200, 400, 404].includes(res.status)]).toEqual([path, true]);
          if (res.status === 200)
            expect(res.body.calls ?? res.body.points?.length ?? 0).toEqual(
              path.includes('/api/calls?') ? [] : 0,
            );
        }
      }
      const still = await get(`/api/calls?from=${T0 - DAY}&limit=500`);
      expect(still.body.calls).toHaveLength(24);
    });

    it('rate-limits per token: an exhausted tenant gets 429 with Retry-After, others are served', async () => {
      const clock = { ms: 0 };
      const limiter = new QueryRateLimiter({ ratePerSecond: 0.5, burst: 2 }, { now: () => clock.ms });
      const limited = await listen(
        createQueryApi({
          clickhouse: ch,
          auth: { operatorToken: OPERATOR, tenantTokens: { 'tenant-a': TOKEN_A, 'tenant-b': TOKEN_B } },
          now: () => NOW,
          limiter,
        }),
      );
      const at = (path: string, token: string | null = TOKEN_A) => getFrom(limited.base, path, token);
      const spec = (await at('/api/openapi.json', null)).body;
      for (const [path, item] of Object.entries(
        spec.paths as Record<string, Record<string, { responses: object }>>,
      ))
        if (path !== '/api/openapi.json')
          for (const op of Object.values(item))
            expect([path, op.responses]).toMatchObject([path, { 429: {} }]);
      expect(spec.components.responses.TooManyRequests.headers).toHaveProperty('Retry-After');
      const timeline = '/api/calls/call-1/timeline';
      try {
        // Refused before admission: no token, a wrong token, bad parameters, another tenant.
        for (let i = 0; i < 5; i++) {
          expect((await at(timeline, null)).status).toBe(401);
          expect((await at(timeline, 'wrong-token-0123456789')).status).toBe(401);
          expect((await at('/api/calls?limit=0')).status).toBe(400);
          expect((await at('/api/calls?tenant=tenant-b')).status).toBe(403);
        }
        expect((await at(timeline)).status).toBe(200);
        expect((await at('/api/calls/no-such-call/timeline')).status).toBe(404); // queried: counts
        const refused = await at(timeline);
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('2');
        expect(refused.body).toEqual({ error: 'rate limit exceeded for this token', retryAfterMs: 2000 });
        // Tenant B and the operator reading tenant A have budgets of their own.
        expect((await at(`/api/calls?from=${T0 - DAY}`, TOKEN_B)).body.calls).toHaveLength(5);
        expect((await at(`${timeline}?tenant=tenant-a`, OPERATOR)).status).toBe(200);
        clock.ms += 1999;
        expect((await at(timeline)).body).toEqual({
          error: 'rate limit exceeded for this token',
          retryAfterMs: 1,
        });
        clock.ms += 1;
        expect((await at(timeline)).status).toBe(200);
        expect(await limiter.limited.get()).toMatchObject({
          values: [{ labels: { tenant: 'tenant-a', principal: 'tenant', reason: 'rate' }, value: 2 }],
        });
      } finally {
        await new Promise((r) => limited.server.close(r));
      }
    });

    it('caps queries in flight per tenant and frees the slot when a query ends or fails', async () => {
      const limiter = new QueryRateLimiter({ ratePerSecond: 1000, burst: 1000, maxConcurrent: 1 });
      const runner = createQueryRunner({ clickhouse: ch, now: () => NOW, limiter });
      const a = { kind: 'tenant', tenantId: 'tenant-a' } as const;
      const b = { kind: 'tenant', tenantId: 'tenant-b' } as const;
      const search = (p: typeof a | typeof b) => runner.run(p, '/api/calls', new URLSearchParams());
      const [first, second, other] = await Promise.allSettled([search(a), search(a), search(b)]);
      expect(first.status).toBe('fulfilled');
      expect(other.status).toBe('fulfilled');
      expect(second.status === 'rejected' && second.reason).toBeInstanceOf(RateLimitedError);
      expect(second.status === 'rejected' && second.reason).toMatchObject({
        code: 'RATE_LIMITED',
        retryAfterMs: 1000,
      });
      await expect(runner.run(a, '/api/calls/missing/timeline', new URLSearchParams())).rejects.toMatchObject(
        {
          code: 'NOT_FOUND',
        },
      );
      await expect(search(a)).resolves.toMatchObject({ calls: expect.any(Array) });
    });
  });
}

const onServer = await serverClickHouse('vp_query');
if (onServer)
  apiSuite('query API on the ClickHouse server (18.16: parameters rendered by params.ts)', onServer);
else describe.skip('query API on the ClickHouse server', () => {});

apiSuite('query API on chdb (bound parameters)', embeddedClickHouse('vp-query'));
