import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchHandler, BatchHandlerContext, EventBus } from '../../core/bus/bus.ts';
import { eventually } from '../../core/bus/testing/contract.ts';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { type ClickHouse, openChdb } from '../../core/clickhouse/client.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import type { ScoreEvent, VoicePulseEvent } from '../../core/events/schema.ts';
import { SinkMetrics } from './metrics.ts';
import { type Pipeline, pipelineConfig, startPipeline } from './pipeline.ts';
import { startSink } from './sink.ts';

async function counts(p: Pipeline): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['scores', 'alerts', 'call_summaries']) {
    const [row] = await p.clickhouse.query<{ n: string | number }>(`SELECT count() AS n FROM ${t} FINAL`);
    out[t] = Number(row?.n);
  }
  return out;
}

const TOKEN = 'acme-token-0123456789';

describe('embedded pipeline (in-process bus + chdb)', () => {
  let dir: string;
  let pipeline: Pipeline;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-sink-'));
    pipeline = await startPipeline(
      pipelineConfig({}, { VOICEPULSE_CHDB_PATH: dir, VOICEPULSE_TENANT_TOKENS: `acme=${TOKEN}` }),
    );
  });
  afterAll(async () => {
    await pipeline?.stop();
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
    await pipeline.bus.publish(events);
    await pipeline.bus.publish(events.slice(0, 100));
    const last = await eventually(
      () => counts(pipeline),
      (c) => JSON.stringify(c) === JSON.stringify(expected),
    );
    expect(last).toEqual(expected);
    const [row] = await pipeline.clickhouse.query<{ queue: string; agent: string; csat: number }>(
      `SELECT queue, agent_id AS agent, csat_proxy AS csat FROM call_summaries FINAL WHERE call_id = 'call-0'`,
    );
    expect(row).toMatchObject({ queue: '', agent: 'agent-0' });
    expect(row?.csat).toBeGreaterThanOrEqual(1);
    expect(row?.csat).toBeLessThanOrEqual(5);
  });

  it('serves what it stored through the mounted query API', async () => {
    const call = syntheticCall({
      tenantId: 'acme',
      callId: 'live-1',
      agentId: 'agent-9',
      queue: 'vip',
      startedAtMs: Date.now() - 60_000,
      durationMs: 10_000,
    });
    await pipeline.bus.publish([...call.scores, call.summary]);
    const server = createServer(async (req, res) => {
      if (!(await pipeline.query.handle(req, res))) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const body = await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/calls/live-1/timeline`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          return res.status === 200
            ? ((await res.json()) as { customer: unknown[]; summary: unknown })
            : undefined;
        },
        (b) => b?.customer.length === 5 && b.summary !== null,
      );
      expect(body?.customer).toHaveLength(5);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('pipelineConfig', () => {
  it('is embedded by default, flags win over environment variables', () => {
    const embedded = pipelineConfig({}, { HOME: '/home/x' });
    expect(embedded.kafkaBrokers).toBeUndefined();
    expect(embedded.clickhouse).toEqual({ kind: 'chdb', path: '/home/x/.cache/voicepulse/chdb' });
    const env = {
      VOICEPULSE_KAFKA: 'env:9092',
      VOICEPULSE_CLICKHOUSE: 'http://env:8123',
      VOICEPULSE_TOKEN: 'op',
    };
    const real = pipelineConfig({ kafka: 'a:9092, b:9093', clickhouse: 'http://flag:8123' }, env);
    expect(real.kafkaBrokers).toEqual(['a:9092', 'b:9093']);
    expect(real.clickhouse).toMatchObject({ kind: 'http', url: 'http://flag:8123', database: 'voicepulse' });
    expect(real.auth.operatorToken).toBe('op');
    expect(pipelineConfig({}, env).kafkaBrokers).toEqual(['env:9092']);
    expect(pipelineConfig({}, env).migrate).toBeUndefined();
    expect(pipelineConfig({}, { VOICEPULSE_CLICKHOUSE_MIGRATE: '0' }).migrate).toBe(false);
    expect(pipelineConfig({}, { VOICEPULSE_RETENTION_DAYS: '90' }).retentionDays).toBe(90);
  });

  it('rejects a malformed broker list or token map', () => {
    expect(() => pipelineConfig({ kafka: 'no-port' }, {})).toThrow(/host:port/);
    expect(() => pipelineConfig({}, { VOICEPULSE_TENANT_TOKENS: 'acme=short' })).toThrow(/tenant=token/);
    expect(() => pipelineConfig({}, { VOICEPULSE_RETENTION_DAYS: '0' })).toThrow(/positive integer/);
    expect(() => pipelineConfig({}, { VOICEPULSE_KAFKA_PARTITIONS: 'many' })).toThrow(/positive integer/);
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
