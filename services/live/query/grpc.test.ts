import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCall } from '../../../core/bus/testing/synthetic.ts';
import { type ClickHouse, openChdb } from '../../../core/clickhouse/client.ts';
import { migrate } from '../../../core/clickhouse/migrations.ts';
import type { ScoreEvent, VoicePulseEvent } from '../../../core/events/schema.ts';
import { insertEvents } from '../../sink/rows.ts';
import { asStored, explained } from '../../sink/testing/explanations.ts';
import { createQueryRunner } from './api.ts';
import { type QueryGrpcServer, queryService, startQueryGrpcServer } from './grpc.ts';
import { QueryRateLimiter } from './ratelimit.ts';

const TOKEN_A = 'grpc-token-tenant-a-0123';
const TOKEN_B = 'grpc-token-tenant-b-0123';
const T0 = Date.UTC(2024, 4, 1, 12);
const NOW = T0 + 5 * 86_400_000;

describe('query API over gRPC (chdb)', () => {
  let dir: string;
  let ch: ClickHouse;
  let server: QueryGrpcServer;
  let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  const OPERATOR = 'query-operator-token-6e1d9b3f';
  const auth = { operatorToken: OPERATOR, tenantTokens: { a: TOKEN_A, b: TOKEN_B } };
  const events: VoicePulseEvent[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-grpc-'));
    ch = await openChdb(dir);
    await migrate(ch);
    for (let i = 0; i < 12; i++) {
      const c = syntheticCall({
        tenantId: i < 10 ? 'a' : 'b',
        callId: `call-${i}`,
        agentId: `agent-${i % 2}`,
        queue: 'billing',
        startedAtMs: T0 + i * 3_600_000,
        durationMs: 10_000,
        escalation: i / 12,
      });
      // call-3 was on hold for 4 of its 10 s; its customer windows carry explanations.
      const scores = c.scores.map((s) => (i === 3 && s.speaker === 'customer' ? explained(s, 'fear') : s));
      events.push(...scores, ...c.alerts, i === 3 ? { ...c.summary, holdMs: 4000 } : c.summary);
    }
    await insertEvents(ch, events);
    server = await startQueryGrpcServer({ clickhouse: ch, auth, now: () => NOW }, '127.0.0.1', 0);
    const Query = queryService();
    client = new Query(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as typeof client;
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const callOn = (on: typeof client, method: string, request: object, token?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const md = new grpc.Metadata();
      if (token) md.set('authorization', `Bearer ${token}`);
      on[method]?.(request, md, (err: grpc.ServiceError | null, res: Record<string, unknown>) =>
        err ? reject(err) : resolve(res),
      );
    });
  const call = (method: string, request: object, token?: string) => callOn(client, method, request, token);

  it('returns what REST returns, with nulls as unset optionals', async () => {
    const runner = createQueryRunner({ clickhouse: ch, now: () => NOW });
    const rest = (await runner.run(
      { kind: 'tenant', tenantId: 'a' },
      '/api/agents/agent-1/scorecard',
      new URLSearchParams({ from: String(T0 - 1) }),
    )) as Record<string, unknown>;
    const card = await call('getAgentScorecard', { agentId: 'agent-1', range: { fromMs: T0 - 1 } }, TOKEN_A);
    expect(card.calls).toBe(5);
    expect(card).toMatchObject({
      agentId: 'agent-1',
      calls: rest.calls,
      alerts: rest.alerts,
      talkMs: rest.talkMs,
    });
    expect(card.avgCustomerFrustration).toBeCloseTo(rest.avgCustomerFrustration as number, 6);
    const none = await call('getAgentScorecard', { agentId: 'nobody', range: { fromMs: T0 - 1 } }, TOKEN_A);
    expect(none.calls).toBe(0);
    expect(none.csat ?? null).toBeNull();
    const timeline = await call('getCallTimeline', { callId: 'call-3' }, TOKEN_A);
    expect((timeline.customer as unknown[]).length).toBe(5);
    expect(Number((timeline.summary as { holdMs: unknown }).holdMs)).toBe(4000);
    const trend = await call(
      'getTrend',
      { queue: 'billing', range: { fromMs: T0 - 1, tz: 'Asia/Tokyo' }, bucket: 'day' },
      TOKEN_A,
    );
    expect((trend.points as { calls: number }[]).reduce((n, p) => n + p.calls, 0)).toBe(10);
  });

  it('gives each timeline window its stored explanation, unset where it has none', async () => {
    const timeline = await call('getCallTimeline', { callId: 'call-3' }, TOKEN_A);
    const sent = events.filter(
      (e): e is ScoreEvent => e.type === 'score' && e.callId === 'call-3' && e.speaker === 'customer',
    );
    const customer = timeline.customer as { explanation: Parameters<typeof asStored>[0] }[];
    expect(customer).toHaveLength(sent.length);
    customer.forEach((p, i) => {
      expect(asStored(p.explanation)).toEqual(asStored(sent[i]!.explanation!));
    });
    const agent = timeline.agent as { explanation: unknown }[];
    expect(agent.length).toBeGreaterThan(0);
    expect(agent.every((p) => p.explanation === null)).toBe(true);
  });

  it('pages search results with cursors', async () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await call(
        'searchCalls',
        { range: { fromMs: T0 - 1 }, limit: 4, sort: 'frustration', ...(cursor ? { cursor } : {}) },
        TOKEN_A,
      );
      ids.push(...(page.calls as { callId: string }[]).map((c) => c.callId));
      cursor = (page.nextCursor as string | undefined) || undefined;
      if (!cursor) break;
    }
    expect(ids.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `call-${i}`).sort());
  });

  it('maps refusals to gRPC status codes and isolates tenants', async () => {
    await expect(call('getCallTimeline', { callId: 'call-1' })).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(call('getCallTimeline', { callId: 'call-1' }, TOKEN_B)).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(call('getCallTimeline', { callId: 'call-1', tenant: 'a' }, TOKEN_B)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    await expect(call('getTrend', { range: { tz: 'Mars/Olympus' } }, TOKEN_A)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(call('getCallTimeline', { callId: "x'/../scorecard" }, TOKEN_A)).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(call('getCallTimeline', { callId: '' }, TOKEN_A)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'call_id is required',
    });
    await expect(call('getAgentScorecard', {}, TOKEN_A)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'agent_id is required',
    });
    const b = await call('searchCalls', { range: { fromMs: T0 - 1 }, limit: 100 }, TOKEN_B);
    expect((b.calls as { callId: string }[]).map((c) => c.callId).sort()).toEqual(['call-10', 'call-11']);
  });

  it('asks the operator token to name its tenant, as the proto says', async () => {
    await expect(call('searchCalls', { limit: 5 }, OPERATOR)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'tenant is required with the operator token',
    });
    const b = await call('searchCalls', { range: { fromMs: T0 - 1 }, tenant: 'b' }, OPERATOR);
    expect((b.calls as unknown[]).length).toBe(2);
  });

  it('answers RESOURCE_EXHAUSTED with a retry pushback once a tenant has spent its budget', async () => {
    const clock = { ms: 0 };
    const limiter = new QueryRateLimiter({ ratePerSecond: 1, burst: 2 }, { now: () => clock.ms });
    const limitedServer = await startQueryGrpcServer(
      { clickhouse: ch, auth, now: () => NOW, limiter },
      '127.0.0.1',
      0,
    );
    const Query = queryService();
    const limited = new Query(
      `127.0.0.1:${limitedServer.port}`,
      grpc.credentials.createInsecure(),
    ) as typeof client;
    const timeline = (token?: string) => callOn(limited, 'getCallTimeline', { callId: 'call-3' }, token);
    try {
      for (let i = 0; i < 5; i++) {
        await expect(timeline()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
        await expect(timeline('not-a-token-0123456789')).rejects.toMatchObject({
          code: grpc.status.UNAUTHENTICATED,
        });
      }
      await timeline(TOKEN_A);
      await timeline(TOKEN_A);
      const refused = await timeline(TOKEN_A).then(
        () => undefined,
        (err: grpc.ServiceError) => err,
      );
      expect(refused).toMatchObject({
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: 'rate limit exceeded for this token',
      });
      expect(refused?.metadata.get('grpc-retry-pushback-ms')).toEqual(['1000']);
      // Tenant B's budget is its own.
      await expect(timeline(TOKEN_B)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      const b = await callOn(limited, 'searchCalls', { range: { fromMs: T0 - 1 } }, TOKEN_B);
      expect((b.calls as unknown[]).length).toBe(2);
      clock.ms += 1000;
      expect(((await timeline(TOKEN_A)).customer as unknown[]).length).toBe(5);
    } finally {
      limited.close();
      await limitedServer.stop();
    }
  });
});
