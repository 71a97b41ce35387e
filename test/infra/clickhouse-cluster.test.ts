// A real ClickHouse cluster: the two shards of deploy/local/clickhouse-cluster.sh with the cluster
// DDL (core/clickhouse/cluster.ts, unreplicated) applied, the sink writing each call to its shard,
// and the query API reading the Distributed tables. The same calls, stored on a single node the
// single-node way, give the same timelines, scorecards, trends, searches and minute aggregates, also
// when a shard fails mid-batch (the redelivered batch completes that shard and doubles nothing on
// the other).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InProcessBus } from '../../core/bus/in-process.ts';
import { eventually } from '../../core/bus/testing/contract.ts';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { type ClickHouse, connectHttp } from '../../core/clickhouse/client.ts';
import { applyClusterDdl, murmurHash2, shardOf } from '../../core/clickhouse/cluster.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { agentScorecard, callTimeline, searchCalls, trend } from '../../services/live/query/queries.ts';
import { type Sink, startSink } from '../../services/sink/sink.ts';
import { explained } from '../../services/sink/testing/explanations.ts';
import { describeWithService, requireService } from '../testing/services.ts';

const single = await requireService('clickhouse');

await describeWithService('clickhouse-shards', 'ClickHouse cluster of two shards', ({ urls }) => {
  const database = `vp_cluster_${randomUUID().slice(0, 8)}`;
  const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
  const opened: ClickHouse[] = [];
  const sinks: Sink[] = [];
  const buses: InProcessBus[] = [];
  let node: ClickHouse;
  let shards: ClickHouse[];
  let cluster: ClickHouse;
  const events: VoicePulseEvent[] = [];
  const calls: Array<{ tenantId: string; callId: string; agentId: string }> = [];
  let failedShardInserts = 0;

  const open = async (url: string) => {
    const ch = await connectHttp({ url, database });
    opened.push(ch);
    return ch;
  };

  beforeAll(async () => {
    node = await open(single!.url);
    await migrate(node);
    shards = [];
    for (const url of urls) shards.push(await open(url));
    await applyClusterDdl(shards, { cluster: 'voicepulse', database, replicated: false });
    cluster = shards[0]!;
    for (let i = 0; i < 24; i++) {
      const tenantId = i % 3 === 0 ? 'globex' : 'acme';
      const agentId = `agent-${i % 4}`;
      const call = syntheticCall({
        tenantId,
        callId: `${tenantId}-call-${i}`,
        agentId,
        queue: i % 2 ? 'billing' : 'support',
        startedAtMs: T0 + i * 3_600_000,
        durationMs: 30_000 + (i % 5) * 20_000,
      });
      calls.push({ tenantId, callId: call.summary.callId, agentId });
      // Every other call's customer windows carry explanations (migration 007's array columns).
      const scores = call.scores.map((e) => (i % 2 === 0 && e.speaker === 'customer' ? explained(e) : e));
      events.push(...scores, ...call.alerts, call.summary);
    }
    // The second shard refuses its first two inserts of scores, after the first shard stored its part.
    const flaky: ClickHouse = Object.create(shards[1]!, {
      insertTsv: {
        value: (table: string, columns: readonly string[], tsv: string) => {
          if (table === 'scores_local' && failedShardInserts < 2) {
            failedShardInserts++;
            return Promise.reject(new Error('shard 2 refused the insert'));
          }
          return shards[1]!.insertTsv(table, columns, tsv);
        },
      },
    });
    const toNode = new InProcessBus({ retryDelayMs: 20 });
    const toCluster = new InProcessBus({ retryDelayMs: 20 });
    buses.push(toNode, toCluster);
    sinks.push(await startSink({ bus: toNode, clickhouse: node }));
    sinks.push(await startSink({ bus: toCluster, clickhouse: cluster, shards: [shards[0]!, flaky] }));
    for (const bus of [toNode, toCluster]) await bus.publish(events);
    const count = (ch: ClickHouse) =>
      ch.query<{ n: string }>('SELECT count() AS n FROM scores FINAL').then((r) => Number(r[0]?.n));
    const scores = events.filter((e) => e.type === 'score').length;
    await eventually(
      async () => [await count(node), await count(cluster)],
      (c) => c[0] === scores && c[1] === scores,
    );
    const summaries = () => cluster.query<{ n: string }>('SELECT count() AS n FROM call_summaries');
    await eventually(summaries, (r) => Number(r[0]?.n) === calls.length);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.stop()));
    await Promise.all(buses.map((b) => b.close()));
    for (const ch of [node, ...(shards ?? [])]) await ch?.exec(`DROP DATABASE IF EXISTS ${database}`);
    await Promise.all(opened.map((ch) => ch.close()));
  });

  it("routes calls as the Distributed tables' sharding key does, and both shards hold some", async () => {
    const [row] = await cluster.query<{ h: string }>(
      "SELECT murmurHash2_32(concat('acme', '/', 'call-é-7')) AS h",
    );
    expect(murmurHash2('acme/call-é-7')).toBe(Number(row?.h));
    const held = await Promise.all(
      shards.map((s) =>
        s
          .query<{ call_id: string }>('SELECT DISTINCT call_id FROM call_summaries_local')
          .then((r) => r.map((x) => x.call_id).sort()),
      ),
    );
    expect(held[0]!.length).toBeGreaterThan(0);
    expect(held[1]!.length).toBeGreaterThan(0);
    for (const [i, ids] of held.entries())
      for (const id of ids) {
        const call = calls.find((c) => c.callId === id)!;
        expect(shardOf(call.tenantId, call.callId, 2)).toBe(i);
      }
    expect(failedShardInserts).toBe(2);
  });

  it('answers the query API the same as a single node: timelines, scorecards, trends, searches', async () => {
    const range = { fromMs: T0 - 3_600_000, toMs: T0 + 2 * 86_400_000 };
    for (const c of calls.slice(0, 8))
      expect(await callTimeline(cluster, c.tenantId, c.callId)).toEqual(
        await callTimeline(node, c.tenantId, c.callId),
      );
    const explainedCall = (await callTimeline(cluster, calls[0]!.tenantId, calls[0]!.callId))!;
    expect(explainedCall.customer.every((p) => p.explanation?.segments.length === 10)).toBe(true);
    for (const tenant of ['acme', 'globex']) {
      for (const agent of ['agent-0', 'agent-1', 'agent-2', 'agent-3'])
        expect(await agentScorecard(cluster, tenant, agent, range)).toEqual(
          await agentScorecard(node, tenant, agent, range),
        );
      for (const bucket of ['hour', 'day'] as const)
        expect(await trend(cluster, tenant, range, bucket, 'UTC')).toEqual(
          await trend(node, tenant, range, bucket, 'UTC'),
        );
      const search = { ...range, sort: 'frustration' as const, limit: 50 };
      expect(await searchCalls(cluster, tenant, search)).toEqual(await searchCalls(node, tenant, search));
    }
    const scorecard = await agentScorecard(cluster, 'acme', 'agent-1', range);
    expect(scorecard.calls).toBeGreaterThan(0);
  });

  it('keeps the minute aggregates exact: every window counted once although a shard failed mid-batch', async () => {
    const minutes = (ch: ClickHouse) =>
      ch.query(
        `SELECT minute, tenant_id, queue, agent_id, speaker, countMerge(windows) AS windows,
                round(avgMerge(frustration_mean), 5) AS frustration
         FROM score_minutes GROUP BY minute, tenant_id, queue, agent_id, speaker
         ORDER BY minute, tenant_id, queue, agent_id, speaker`,
      );
    const onCluster = await minutes(cluster);
    expect(onCluster).toEqual(await minutes(node));
    const windows = onCluster.reduce((n, r) => n + Number((r as { windows: string }).windows), 0);
    expect(windows).toBe(events.filter((e) => e.type === 'score').length);
  });
});
