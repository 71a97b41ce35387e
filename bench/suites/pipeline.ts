// The analytics pipeline against the real services (deploy/local/up.sh): score rows/s from Kafka
// into ClickHouse through one sink process and through two in one consumer group (the scale-out
// path), next to a one-row-per-insert baseline in the same run; p99 latency from a score published to
// it being queryable, under a steady load, for both; and the query API's agent scorecard latency over
// 30 days × 500 agents of synthetic call summaries, on the ClickHouse server and on chdb.
// Sizes: the bench settings (docs/configuration.md): VOICEPULSE_BENCH_ROWS per sink process,
// VOICEPULSE_BENCH_BASELINE_ROWS, VOICEPULSE_BENCH_AGENTS, VOICEPULSE_BENCH_DAYS and
// VOICEPULSE_BENCH_CALLS_PER_DAY (calls per agent per day).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { BatchHandler } from '../../core/bus/bus.ts';
import { InProcessBus } from '../../core/bus/in-process.ts';
import { KafkaBus } from '../../core/bus/kafka.ts';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { type ClickHouse, connectHttp, openChdb } from '../../core/clickhouse/client.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import type { BenchSettings } from '../../core/config/env.ts';
import type { ScoreEvent } from '../../core/events/schema.ts';
import { createQueryApi } from '../../services/live/query/api.ts';
import { insertEvents } from '../../services/sink/rows.ts';
import { startSink } from '../../services/sink/sink.ts';
import { requireService } from '../../test/testing/services.ts';
import type { BenchSuite, SuiteResult, Verdict } from '../harness.ts';

const TARGET_ROWS_PER_S = 100_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** `calls` two-speaker calls of 2-s windows: 2 score events per window. */
function scoreEvents(tenantId: string, calls: number, windowsPerCall: number, firstCall = 0): ScoreEvent[] {
  const out: ScoreEvent[] = [];
  for (let i = firstCall; i < firstCall + calls; i++) {
    out.push(
      ...syntheticCall({
        tenantId,
        callId: `${tenantId}-${i}`,
        agentId: `agent-${i % 500}`,
        queue: `q${i % 7}`,
        startedAtMs: Date.now() - 3_600_000,
        durationMs: windowsPerCall * 2_000,
      }).scores,
    );
  }
  return out;
}

async function countRows(ch: ClickHouse, tenantId: string): Promise<number> {
  const [row] = await ch.query<{ n: string }>(
    'SELECT count() AS n FROM scores WHERE tenant_id = {t:String}',
    {
      t: tenantId,
    },
  );
  return Number(row?.n);
}

async function waitForRows(
  ch: ClickHouse,
  tenantId: string,
  rows: number,
  timeoutMs: number,
): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    const n = await countRows(ch, tenantId);
    if (n >= rows) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`only ${await countRows(ch, tenantId)} of ${rows} rows after ${timeoutMs} ms`);
}

/** The one-row-per-insert baseline: the same rows, one INSERT each. */
function rowByRowHandler(ch: ClickHouse): BatchHandler {
  return async (events) => {
    for (const event of events) await insertEvents(ch, [event]);
  };
}

interface Throughput {
  mode: string;
  rows: number;
  ms: number;
}

/** A started Kafka bus on its own topics (`prefix`), 4 partitions, quiet. */
async function benchBus(brokers: string[], prefix: string): Promise<KafkaBus> {
  const bus = new KafkaBus({ brokers, topicPrefix: prefix, partitions: 4, logLevel: logLevel.NOTHING });
  await bus.start();
  return bus;
}

/** Publishes `rows` score events for a new tenant, generated 5,000 at a time; returns the tenant. */
async function fill(bus: KafkaBus, rows: number): Promise<string> {
  const tenant = `tp-${randomUUID().slice(0, 8)}`;
  let published = 0;
  for (let call = 0; published < rows; call += 50) {
    const chunk = scoreEvents(tenant, 50, 50, call).slice(0, rows - published);
    await bus.publish(chunk);
    published += chunk.length;
  }
  return tenant;
}

interface Target {
  brokers: string[];
  ch: ClickHouse;
  clickhouseUrl: string;
  database: string;
}

/**
 * `sinks` sink processes (services/sink/main.ts, as deployed: own heap, a 64 MiB young generation as
 * in the Dockerfile) in one consumer group over `rows` already in Kafka, so this measures the sink,
 * not the producer. Returns the rows stored after all sinks joined and the time they took.
 */
async function sinkProcesses(t: Target, prefix: string, sinks: number, rows: number): Promise<Throughput> {
  const bus = await benchBus(t.brokers, prefix);
  const tenant = await fill(bus, rows);
  await bus.close();
  const env = {
    ...process.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim(),
    VOICEPULSE_KAFKA_BROKERS: t.brokers.join(','),
    VOICEPULSE_CLICKHOUSE_URL: t.clickhouseUrl,
    VOICEPULSE_CLICKHOUSE_DATABASE: t.database,
    VOICEPULSE_CLICKHOUSE_MIGRATE: '0',
    VOICEPULSE_KAFKA_TOPIC_PREFIX: prefix,
    VOICEPULSE_KAFKA_PARTITIONS: '4',
    VOICEPULSE_SINK_GROUP: `bench-${tenant}`,
    VOICEPULSE_METRICS_PORT: '0',
  };
  const children = Array.from({ length: sinks }, () =>
    spawn(process.execPath, ['bin/run-ts.js', 'services/sink/main.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  try {
    // Timed once every sink has joined the group (the last join ends the rebalance): the steady rate
    // of `sinks` processes, over the rows still unstored at that moment.
    await Promise.race([
      Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) =>
              c.stdout?.on('data', (d: Buffer) => {
                if (d.toString().includes('"msg":"ready"')) resolve();
              }),
            ),
        ),
      ),
      ...children.map(
        (c) =>
          new Promise<never>((_, reject) =>
            c.once('exit', (code) => reject(new Error(`sink exited ${code}`))),
          ),
      ),
    ]);
    const before = await countRows(t.ch, tenant);
    const ms = await waitForRows(t.ch, tenant, rows, 600_000);
    return {
      mode: sinks === 1 ? '1 sink process' : `${sinks} sink processes, one group`,
      rows: rows - before,
      ms,
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(null)))),
    );
  }
}

/** The baseline: the same rows through a consumer in this process that inserts them one by one. */
async function oneRowPerInsert(t: Target, prefix: string, rows: number): Promise<Throughput> {
  const bus = await benchBus(t.brokers, prefix);
  const tenant = await fill(bus, rows);
  const sub = await bus.subscribe({
    groupId: `bench-${tenant}`,
    types: ['score'],
    fromBeginning: true,
    handler: rowByRowHandler(t.ch),
  });
  try {
    return { mode: 'one row per insert', rows, ms: await waitForRows(t.ch, tenant, rows, 600_000) };
  } finally {
    await sub.stop();
    await bus.close();
  }
}

/** Producer rate alone (kafkajs, idempotent, acks=all), on its own topics. */
async function produceRate(brokers: string[], prefix: string, rows: number): Promise<number> {
  const bus = await benchBus(brokers, prefix);
  const t0 = performance.now();
  await fill(bus, rows);
  const rate = rows / ((performance.now() - t0) / 1000);
  await bus.close();
  return rate;
}

/** Publishes `rate` score rows/s in 50-ms ticks for `seconds`; latency = publish start → all rows of the tick queryable. */
async function latency(
  brokers: string[],
  ch: ClickHouse,
  prefix: string,
  rate: number,
  seconds: number,
  baseline: boolean,
): Promise<{ p50: number; p99: number; ticks: number; lost: number }> {
  // Fresh topics (own prefix) read from their start: no event published before the join is missed.
  const bus = await benchBus(brokers, prefix);
  const tenant = `lat-${randomUUID().slice(0, 8)}`;
  const group = `bench-${tenant}`;
  const sub = baseline
    ? await bus.subscribe({
        groupId: group,
        types: ['score'],
        fromBeginning: true,
        handler: rowByRowHandler(ch),
      })
    : await startSink({ bus, clickhouse: ch, groupId: group });
  const perTick = Math.max(1, Math.round(rate / 20));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let publishing = true;
  const poller = (async () => {
    let publishedAt = Number.POSITIVE_INFINITY;
    // Until every tick is visible, or 30 s after the last publish (a baseline that fell behind).
    while ((publishing || sentAt.size > 0) && performance.now() - publishedAt < 30_000) {
      const rows = await ch.query<{ call_id: string; n: string }>(
        'SELECT call_id, count() AS n FROM scores WHERE tenant_id = {t:String} GROUP BY call_id',
        { t: tenant },
      );
      const now = performance.now();
      for (const r of rows) {
        const t = sentAt.get(r.call_id);
        if (t !== undefined && Number(r.n) >= perTick) {
          latencies.push(now - t);
          sentAt.delete(r.call_id);
        }
      }
      if (!publishing && publishedAt === Number.POSITIVE_INFINITY) publishedAt = now;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const ticks = seconds * 20;
    const start = performance.now();
    for (let tick = 0; tick < ticks; tick++) {
      const callId = `${tenant}-${tick}`;
      const events = scoreEvents(tenant, 1, Math.ceil(perTick / 2))
        .slice(0, perTick)
        .map((e) => ({ ...e, callId, eventId: `${callId}:${e.eventId}` }));
      sentAt.set(callId, performance.now());
      await bus.publish(events);
      const next = start + (tick + 1) * 50;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  } finally {
    publishing = false;
    await poller;
    await sub.stop();
    await bus.close();
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    ticks: latencies.length,
    lost: sentAt.size,
  };
}

/** Inserts agents × days × callsPerDay call summaries for one tenant straight into ClickHouse. */
async function seedSummaries(
  ch: ClickHouse,
  agents: number,
  days: number,
  callsPerDay: number,
  endMs: number,
) {
  let total = 0;
  for (let d = 0; d < days; d++) {
    const events = [];
    for (let a = 0; a < agents; a++) {
      for (let c = 0; c < callsPerDay; c++) {
        const startedAtMs = endMs - (d + 1) * 86_400_000 + (a * 37 + c * 3_000) * 1000;
        events.push(
          syntheticCall({
            tenantId: 'bench',
            callId: `d${d}-a${a}-c${c}`,
            agentId: `agent-${a}`,
            queue: `q${a % 12}`,
            startedAtMs,
            durationMs: 240_000,
            windowMs: 60_000,
          }).summary,
        );
      }
    }
    await insertEvents(ch, events);
    total += events.length;
  }
  return total;
}

async function scorecardLatency(ch: ClickHouse, label: string, sizes: BenchSettings): Promise<string[]> {
  const { agents, days, callsPerDay: perDay } = sizes;
  const endMs = Date.UTC(2024, 5, 1);
  await migrate(ch);
  const seedStart = performance.now();
  const calls = await seedSummaries(ch, agents, days, perDay, endMs);
  const seedMs = performance.now() - seedStart;
  const token = 'bench-token-0123456789';
  const api = createQueryApi({ clickhouse: ch, auth: { tenantTokens: { bench: token } } });
  const server = createServer(async (req, res) => {
    if (!(await api.handle(req, res))) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const times: number[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const agent = `agent-${(i * 97) % agents}`;
      const t = performance.now();
      const res = await fetch(
        `http://127.0.0.1:${port}/api/agents/${agent}/scorecard?from=${endMs - days * 86_400_000}&to=${endMs}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      const body = (await res.json()) as { calls: number };
      times.push(performance.now() - t);
      if (body.calls !== days * perDay)
        throw new Error(`scorecard of ${agent}: ${body.calls} calls, expected ${days * perDay}`);
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
  times.sort((a, b) => a - b);
  return [
    `scorecard, ${label}`,
    `${agents} agents × ${days} d = ${calls.toLocaleString('en')} calls (seeded in ${(seedMs / 1000).toFixed(1)} s)`,
    percentile(times, 0.5).toFixed(1),
    percentile(times, 0.99).toFixed(1),
  ];
}

/**
 * The embedded default (`npm start`): in-process bus → sink → chdb, publish-side validation
 * included (same thread). Published in steps that stay inside the bus's retention.
 */
async function embeddedThroughput(ch: ClickHouse, rows: number): Promise<number> {
  await migrate(ch);
  const bus = new InProcessBus();
  let stored = 0;
  const sink = await startSink({
    bus,
    clickhouse: ch,
    onStored: (events) => {
      stored += events.length;
    },
  });
  const events = scoreEvents('embedded', Math.ceil(rows / 100), 50).slice(0, rows);
  const start = performance.now();
  try {
    for (let i = 0; i < events.length; i += 10_000) {
      await bus.publish(events.slice(i, i + 10_000));
      while (stored < i - 20_000) await new Promise((r) => setTimeout(r, 5));
    }
    while (stored < events.length) await new Promise((r) => setTimeout(r, 5));
    return events.length / ((performance.now() - start) / 1000);
  } finally {
    await sink.stop();
    await bus.close();
  }
}

export const pipelineSuite: BenchSuite = {
  name: 'pipeline',
  description:
    'Kafka → ClickHouse rows/s and produce→queryable latency (batched sink vs one row per insert), scorecard query latency',
  async run(settings): Promise<SuiteResult> {
    const sizes = settings.bench;
    const clickhouse = await requireService('clickhouse');
    const kafka = await requireService('kafka');
    const rows: string[][] = [];
    const verdicts: Verdict[] = [];
    const notes: string[] = [];
    const run = randomUUID().slice(0, 8);
    const prefix = `vp-bench-${run}.`;
    const database = `vp_bench_${run}`;
    if (clickhouse && kafka) {
      // Long timeout: on 18.16 DROP DATABASE of these tables and views takes ~10 s on a busy machine.
      const ch = await connectHttp({ url: clickhouse.url, database, requestTimeoutMs: 300_000 });
      try {
        await migrate(ch);
        const target: Target = { brokers: kafka.brokers, ch, clickhouseUrl: clickhouse.url, database };
        const rowsPerRun = sizes.rows;
        const runs = [
          await sinkProcesses(target, `${prefix}s1.`, 1, rowsPerRun),
          await sinkProcesses(target, `${prefix}s2.`, 2, rowsPerRun * 2),
          await oneRowPerInsert(target, `${prefix}b.`, sizes.baselineRows),
        ];
        const rate = (r: Throughput) => r.rows / (r.ms / 1000);
        for (const r of runs) {
          rows.push([
            `Kafka → ClickHouse ${await ch.version()}, ${r.mode}`,
            `${r.rows.toLocaleString('en')} rows${r.mode.includes('sink') ? ' stored once all sinks joined' : ''}, 4 partitions`,
            Math.round(rate(r)).toLocaleString('en'),
            '',
          ]);
        }
        const [one, two, rowByRow] = runs as [Throughput, Throughput, Throughput];
        const produced = await produceRate(kafka.brokers, `${prefix}p.`, 50_000);
        notes.push(
          `producer alone (kafkajs, idempotent, acks=all): ${Math.round(produced).toLocaleString('en')} rows/s; ` +
            `1 sink process is ${(rate(one) / rate(rowByRow)).toFixed(0)}× the one-row baseline`,
        );
        // On 2 cores the sink, not ClickHouse, is the bottleneck (~1.1 cores vs ~0.3): the scale-out
        // path, a second sink process in the group, counts for the target.
        const best = rate(two) >= rate(one) ? two : one;
        verdicts.push({
          label: `≥ ${TARGET_ROWS_PER_S.toLocaleString('en')} score rows/s Kafka → ClickHouse on 2 cores`,
          ok: rate(best) >= TARGET_ROWS_PER_S,
          detail: `${Math.round(rate(best)).toLocaleString('en')} rows/s (${best.mode})`,
        });
        // The baseline cannot sustain more than a few dozen rows/s, so it is compared at 20 rows/s.
        for (const [baseline, rate] of [
          [false, 20],
          [true, 20],
          [false, 20_000],
        ] as const) {
          const l = await latency(kafka.brokers, ch, `${prefix}lat${rows.length}.`, rate, 10, baseline);
          rows.push([
            `produce → queryable at ${rate.toLocaleString('en')} rows/s, ${baseline ? 'one row per insert' : 'batched (sink)'}`,
            `${l.ticks} ticks of 50 ms${l.lost > 0 ? `, ${l.lost} not visible within 30 s` : ''}`,
            `p50 ${l.p50.toFixed(0)} ms`,
            `p99 ${l.p99.toFixed(0)} ms`,
          ]);
        }
        rows.push(await scorecardLatency(ch, `ClickHouse ${await ch.version()} over HTTP`, sizes));
      } finally {
        await ch.exec(`DROP DATABASE IF EXISTS ${database}`);
        await ch.close();
        const admin = new Kafka({
          clientId: 'vp-bench',
          brokers: kafka.brokers,
          logLevel: logLevel.NOTHING,
        }).admin();
        await admin.connect();
        const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        if (ours.length > 0) await admin.deleteTopics({ topics: ours });
        await admin.disconnect();
      }
    } else {
      notes.push(
        'Kafka or ClickHouse not running (deploy/local/up.sh): only the chdb scorecard was measured',
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'vp-bench-chdb-'));
    const chdb = await openChdb(dir);
    try {
      const embeddedRows = sizes.rows;
      const rate = await embeddedThroughput(chdb, embeddedRows);
      rows.push([
        `in-process bus → chdb ${await chdb.version()} (embedded default)`,
        `${embeddedRows.toLocaleString('en')} rows`,
        Math.round(rate).toLocaleString('en'),
        '',
      ]);
      rows.push(await scorecardLatency(chdb, `chdb ${await chdb.version()}`, sizes));
    } finally {
      await chdb.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return { columns: ['measure', 'size', 'rows/s or p50 ms', 'p99 ms'], rows, verdicts, notes };
  },
};
