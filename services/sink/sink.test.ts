import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchHandler, BatchHandlerContext, EventBus } from '../../core/bus/bus.ts';
import { eventually } from '../../core/bus/testing/contract.ts';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { type ClickHouse, openChdb } from '../../core/clickhouse/client.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import { parseEnv } from '../../core/config/env.ts';
import type { AlertAckEvent, ScoreEvent, VoicePulseEvent } from '../../core/events/schema.ts';
import { type Analytics, analyticsConfig, startAnalytics } from './analytics.ts';
import { SinkMetrics } from './metrics.ts';
import { DEFAULT_SINK_GROUP, startSink } from './sink.ts';

async function counts(p: Analytics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['scores', 'alerts', 'call_summaries']) {
    const [row] = await p.clickhouse.query<{ n: string | number }>(`SELECT count() AS n FROM ${t} FINAL`);
    out[t] = Number(row?.n);
  }
  return out;
}

describe('embedded analytics (in-process bus + chdb)', () => {
  let dir: string;
  let analytics: Analytics;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-sink-'));
    analytics = await startAnalytics(analyticsConfig(parseEnv({ VOICEPULSE_CHDB_PATH: dir })));
  });
  afterAll(async () => {
    await analytics?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every event once, also when the stream is replayed', async () => {
    const events: VoicePulseEvent[] = [];
    for (let i = 0; i < 20; i++) {
      const c = syntheticCall({
        tenantId: 'acme',
        callId: `call-${i}`,
        agentId: `agent-${i % 4}`,
        queue: i % 2 ? 'billing' : null,
        startedAtMs: 1_714_000_000_000 + i * 60_000,
        durationMs: 30_000,
        escalation: i / 20,
      });
      events.push(...c.scores, ...c.alerts, c.summary);
    }
    const expected = {
      scores: events.filter((e) => e.type === 'score').length,
      alerts: events.filter((e) => e.type === 'alert').length,
      call_summaries: 20,
    };
    expect(expected.alerts).toBeGreaterThan(0);
    await analytics.bus.publish(events);
    await analytics.bus.publish(events.slice(0, 100));
    const last = await eventually(
      () => counts(analytics),
      (c) => JSON.stringify(c) === JSON.stringify(expected),
    );
    expect(last).toEqual(expected);
    const [row] = await analytics.clickhouse.query<{ queue: string; agent: string; csat: number }>(
      `SELECT queue, agent_id AS agent, csat_proxy AS csat FROM call_summaries FINAL WHERE call_id = 'call-0'`,
    );
    expect(row).toMatchObject({ queue: '', agent: 'agent-0' });
    expect(row?.csat).toBeGreaterThanOrEqual(1);
    expect(row?.csat).toBeLessThanOrEqual(5);
  });

  it('stores alert acknowledgements and customer ids from the bus', async () => {
    const c = syntheticCall({
      tenantId: 'acme',
      callId: 'ack-call',
      agentId: 'ann',
      queue: null,
      startedAtMs: 1_714_100_000_000,
      durationMs: 10_000,
    });
    const ack: AlertAckEvent = {
      schemaVersion: 1,
      type: 'alert_ack',
      eventId: 'ack-1',
      tenantId: 'acme',
      callId: 'ack-call',
      agentId: 'ann',
      queue: null,
      customerId: 'cust-42',
      producedAtMs: 1_714_100_020_000,
      alertId: 'ack-call:alert:customer_frustration_sustained:8000',
      by: 'Dana',
    };
    await analytics.bus.publish([{ ...c.summary, customerId: 'cust-42' }, ack, ack]);
    const rows = await eventually(
      () =>
        analytics.clickhouse.query<{ alert_id: string; acked_by: string; customer_id: string }>(
          "SELECT alert_id, acked_by, customer_id FROM alert_acks FINAL WHERE call_id = 'ack-call'",
        ),
      (r) => r.length > 0,
    );
    expect(rows).toEqual([{ alert_id: ack.alertId, acked_by: 'Dana', customer_id: 'cust-42' }]);
    const [summary] = await analytics.clickhouse.query<{ customer_id: string }>(
      "SELECT customer_id FROM call_summaries FINAL WHERE call_id = 'ack-call'",
    );
    expect(summary?.customer_id).toBe('cust-42');
  });
});

describe('analyticsConfig', () => {
  it('is embedded by default, the real services where the settings name them', () => {
    const embedded = analyticsConfig(parseEnv({ HOME: '/home/x' }));
    expect(embedded).toEqual({
      kafka: {},
      clickhouse: { kind: 'chdb', path: '/home/x/.cache/voicepulse/chdb' },
      migrate: true,
      sink: { groupId: DEFAULT_SINK_GROUP },
    });
    const real = analyticsConfig(
      parseEnv({
        VOICEPULSE_KAFKA_BROKERS: 'env:9092',
        VOICEPULSE_CLICKHOUSE_URL: 'http://env:8123',
        VOICEPULSE_CLICKHOUSE_USER: 'writer',
        VOICEPULSE_CLICKHOUSE_MIGRATE: '0',
        VOICEPULSE_SINK_GROUP: 'g',
        VOICEPULSE_RETENTION_DAYS: '90',
      }),
    );
    expect(real.kafka.brokers).toEqual(['env:9092']);
    expect(real.clickhouse).toMatchObject({
      kind: 'http',
      url: 'http://env:8123',
      database: 'voicepulse',
      username: 'writer',
    });
    expect(real.migrate).toBe(false);
    expect(real.sink).toEqual({ groupId: 'g', retentionDays: 90 });
  });
});

describe('sink: exactly once, aggregates included', () => {
  /** A bus that hands the test the sink's handler, so redeliveries can be staged exactly. */
  function scriptedBus(): { bus: EventBus; handler: () => BatchHandler } {
    let handler: BatchHandler | undefined;
    const bus: EventBus = {
      publish: async () => {},
      subscribe: async (options) => {
        handler = options.handler;
        return { stop: async () => {} };
      },
      close: async () => {},
    };
    return { bus, handler: () => handler ?? expect.unreachable('sink did not subscribe') };
  }

  /** Fails the next insert after ClickHouse applied it: the reply was lost, as on a dropped connection. */
  function lossyReplies(ch: ClickHouse): { ch: ClickHouse; loseNext: () => void } {
    let lose = false;
    return {
      loseNext: () => {
        lose = true;
      },
      ch: {
        ...ch,
        version: () => ch.version(),
        exec: (sql, params) => ch.exec(sql, params),
        query: (sql, params) => ch.query(sql, params),
        insert: (table, rows) => ch.insert(table, rows),
        close: () => ch.close(),
        insertTsv: async (table, columns, tsv) => {
          await ch.insertTsv(table, columns, tsv);
          if (lose) {
            lose = false;
            throw new Error('connection reset after the insert was sent');
          }
        },
      },
    };
  }

  let dir: string;
  let ch: ClickHouse;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-sink-once-'));
    ch = await openChdb(dir);
    await migrate(ch);
  });
  afterAll(async () => {
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function totals(tenant: string) {
    const [raw] = await ch.query<{ n: string | number }>(
      'SELECT count() AS n FROM scores FINAL WHERE tenant_id = {t:String}',
      { t: tenant },
    );
    const [agg] = await ch.query<{ n: string | number; f: number }>(
      'SELECT countMerge(windows) AS n, avgMerge(frustration_mean) AS f FROM score_minutes WHERE tenant_id = {t:String}',
      { t: tenant },
    );
    return { raw: Number(raw?.n), windows: Number(agg?.n), meanFrustration: Number(agg?.f) };
  }

  it('counts a redelivered, a re-cut and a lost-reply batch once, across sink restarts', async () => {
    const tenant = 'once';
    const events = syntheticCall({
      tenantId: tenant,
      callId: 'call-1',
      agentId: 'agent-1',
      queue: 'billing',
      startedAtMs: 1_714_000_000_000,
      durationMs: 60_000,
    }).scores;
    expect(events.length).toBeGreaterThanOrEqual(40);
    const source = 'sink@voicepulse.scores#0';
    const batch = (from: number, to: number): [ScoreEvent[], BatchHandlerContext] => [
      events.slice(from, to),
      { topic: 'voicepulse.scores', source, offsets: events.slice(from, to).map((_, i) => 100 + from + i) },
    ];
    const expectedMean = events.reduce((s, e) => s + e.frustration, 0) / events.length;

    let scripted = scriptedBus();
    const lossy = lossyReplies(ch);
    const skipped: number[] = [];
    const registry = new Registry();
    let sink = await startSink({
      bus: scripted.bus,
      clickhouse: lossy.ch,
      onSkipped: (e) => skipped.push(e.length),
      metrics: new SinkMetrics(registry),
    });
    await scripted.handler()(...batch(0, 20));
    // Stored, but the offset commit never happened: the same batch again.
    await scripted.handler()(...batch(0, 20));
    // The next delivery is cut differently and overlaps what is stored.
    await scripted.handler()(...batch(10, 30));
    expect(skipped).toEqual([20, 10]);
    // ClickHouse applied this insert but the sink never heard back; the bus retries it.
    lossy.loseNext();
    await expect(scripted.handler()(...batch(30, 35))).rejects.toThrow(/connection reset/);
    await scripted.handler()(...batch(30, 35));
    expect(skipped).toEqual([20, 10, 5]);
    const metric = async (name: string) =>
      (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.table === 'scores')?.value;
    // The lost-reply insert counts as a failure, its rows as skipped on the retry.
    expect(await metric('voicepulse_sink_rows_stored_total')).toBe(30);
    expect(await metric('voicepulse_sink_rows_skipped_total')).toBe(35);
    expect(await metric('voicepulse_sink_insert_failures_total')).toBe(1);
    await sink.stop();

    // A new sink process knows nothing but what ClickHouse stored.
    scripted = scriptedBus();
    sink = await startSink({ bus: scripted.bus, clickhouse: ch, onSkipped: (e) => skipped.push(e.length) });
    await scripted.handler()(...batch(25, events.length));
    expect(skipped).toEqual([20, 10, 5, 10]);
    await sink.stop();

    const t = await totals(tenant);
    expect(t.raw).toBe(events.length);
    expect(t.windows).toBe(events.length);
    expect(t.meanFrustration).toBeCloseTo(expectedMean, 5);
  });

  it('skips what another sink stored while it held the partition (rebalance and back)', async () => {
    const tenant = 'handover';
    const events = syntheticCall({
      tenantId: tenant,
      callId: 'call-3',
      agentId: 'agent-3',
      queue: null,
      startedAtMs: 1_714_000_000_000,
      durationMs: 40_000,
    }).scores;
    const context = (from: number, to: number): BatchHandlerContext => ({
      topic: 'voicepulse.scores',
      source: 'sink@voicepulse.scores#5',
      offsets: events.slice(from, to).map((_, i) => from + i),
    });
    const a = scriptedBus();
    const b = scriptedBus();
    const sinkA = await startSink({ bus: a.bus, clickhouse: ch });
    const sinkB = await startSink({ bus: b.bus, clickhouse: ch });
    await a.handler()(events.slice(0, 10), context(0, 10));
    // The partition moves to B, which stores more but dies before committing; A gets it back.
    await b.handler()(events.slice(10, 20), context(10, 20));
    await a.handler()(events.slice(10, events.length), context(10, events.length));
    await sinkA.stop();
    await sinkB.stop();
    expect(await totals(tenant)).toMatchObject({ raw: events.length, windows: events.length });
  });

  it("stores events by their origin: copies of a recording's log, interleaved in one batch with live events, once", async () => {
    const tenant = 'origins';
    const call = (callId: string) =>
      syntheticCall({
        tenantId: tenant,
        callId,
        agentId: 'agent-4',
        queue: 'billing',
        startedAtMs: 1_714_000_000_000,
        durationMs: 20_000,
      }).scores;
    const live = call('live-1');
    const recorded = call('recorded-1');
    expect(recorded.length).toBeGreaterThan(8);
    const origin = (i: number) => ({ source: 'recording:abc:origins/recorded-1#score', offset: i });
    // Two runs published the log at once (their first 6 events interleaved), a live call in between;
    // then a redelivery of the same partition, which holds a third copy's prefix.
    const copies = [0, 1, 2, 3, 4, 5].flatMap((i) => [i, i]);
    const first = {
      events: [] as VoicePulseEvent[],
      origins: [] as (ReturnType<typeof origin> | undefined)[],
    };
    copies.forEach((i, k) => {
      first.events.push(recorded[i]!);
      first.origins.push(origin(i));
      if (k < live.length) {
        first.events.push(live[k]!);
        first.origins.push(undefined);
      }
    });
    const rest = recorded.map((e, i) => [e, origin(i)] as const).slice(3);
    const scripted = scriptedBus();
    const stored: string[] = [];
    const sink = await startSink({
      bus: scripted.bus,
      clickhouse: ch,
      onStored: (es) => stored.push(...es.map((e) => e.eventId)),
    });
    const context = (origins: readonly (ReturnType<typeof origin> | undefined)[], from: number) => ({
      topic: 'voicepulse.scores',
      source: 'sink@voicepulse.scores#3',
      offsets: origins.map((_, i) => from + i),
      origins,
    });
    await scripted.handler()(first.events, context(first.origins, 0));
    await scripted.handler()(
      rest.map(([e]) => e),
      context(
        rest.map(([, o]) => o),
        first.events.length,
      ),
    );
    // The live events that did not fit the first batch, without origins.
    const more = live.slice(copies.length);
    await scripted.handler()(more, {
      topic: 'voicepulse.scores',
      source: 'sink@voicepulse.scores#3',
      offsets: more.map((_, i) => first.events.length + rest.length + i),
    });
    await sink.stop();
    expect(stored.filter((id) => id.startsWith('recorded-1'))).toEqual(recorded.map((e) => e.eventId));
    expect(stored.filter((id) => id.startsWith('live-1'))).toEqual(live.map((e) => e.eventId));
    const [byRow] = await ch.query<{ n: string | number; sources: string | number }>(
      "SELECT count() AS n, uniqExact(source) AS sources FROM scores WHERE tenant_id = 'origins'",
    );
    expect(Number(byRow?.n)).toBe(live.length + recorded.length);
    expect(Number(byRow?.sources)).toBe(2);
    expect(await totals(tenant)).toMatchObject({
      raw: live.length + recorded.length,
      windows: live.length + recorded.length,
    });
  });

  it('keeps sources apart: the same offsets from another partition or group are new', async () => {
    const tenant = 'apart';
    const events = syntheticCall({
      tenantId: tenant,
      callId: 'call-2',
      agentId: null,
      queue: null,
      startedAtMs: 1_714_000_000_000,
      durationMs: 20_000,
    }).scores;
    const scripted = scriptedBus();
    const sink = await startSink({ bus: scripted.bus, clickhouse: ch });
    const half = Math.floor(events.length / 2);
    const offsets = (n: number) => Array.from({ length: n }, (_, i) => i);
    await scripted.handler()(events.slice(0, half), {
      topic: 'voicepulse.scores',
      source: 'sink@voicepulse.scores#1',
      offsets: offsets(half),
    });
    await scripted.handler()(events.slice(half), {
      topic: 'voicepulse.scores',
      source: 'sink@voicepulse.scores#2',
      offsets: offsets(events.length - half),
    });
    await sink.stop();
    expect(await totals(tenant)).toMatchObject({ raw: events.length, windows: events.length });
  });
});
