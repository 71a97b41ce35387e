// The ClickHouse sink: a consumer group over the score, alert and summary topics that writes each
// delivered batch with one insert per table. The handler resolves only after ClickHouse acknowledged
// every insert, so the bus commits offsets only for stored events; an insert that fails (ClickHouse
// down or refusing) rejects the batch and the bus redelivers it with back-off from the same offset.
//
// Exactly once, aggregates included: every row carries its bus position (source, offset) and
// ClickHouse keeps the highest stored offset per source (migration 003, written by the same insert).
// Before each insert the sink reads that position; events at or below it were stored before a crash,
// a rebalance or a failed-but-applied insert, and are skipped, so the per-minute views never count
// them twice. The raw tables would collapse them anyway.
//
// On a cluster of unreplicated shards the sink routes each call's rows itself (shardOf, the same
// function as the Distributed tables' sharding key) into that shard's local tables, and reads that
// shard's stored position: each shard's insert is atomic with its own position, so a batch that
// reached one shard and failed on another is completed, not doubled, when it is redelivered. An
// insert through a Distributed table could not promise that (it acknowledges, or fails, for all
// shards at once, and the position read back would be the highest of any shard).
import type { BatchHandlerContext, EventBus, Subscription } from '../../core/bus/bus.ts';
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import { shardOf } from '../../core/clickhouse/cluster.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import type { SinkMetrics } from './metrics.ts';
import { encodeEvents, TABLES } from './rows.ts';

export const DEFAULT_SINK_GROUP = 'voicepulse-sink';

export interface SinkOptions {
  bus: EventBus;
  clickhouse: ClickHouse;
  /**
   * The shards of an unreplicated cluster in remote_servers order: each call's rows go to its
   * shard's `<table>_local`. Absent: everything is inserted through `clickhouse`.
   */
  shards?: readonly ClickHouse[];
  groupId?: string;
  /** Read what the group has not committed yet, from the oldest retained event (default true). */
  fromBeginning?: boolean;
  /** Called after each stored batch with the events it stored (metrics, tests). */
  onStored?: (events: readonly VoicePulseEvent[]) => void;
  /** Called with the events of a batch that were already stored and so skipped. */
  onSkipped?: (events: readonly VoicePulseEvent[]) => void;
  metrics?: SinkMetrics;
}

export interface Sink {
  stop(): Promise<void>;
}

/** Highest offset of `source` already in ClickHouse (`table`: a shard's local one), or -1. */
export async function storedPosition(
  clickhouse: ClickHouse,
  source: string,
  table = 'sink_positions',
): Promise<number> {
  const [row] = await clickhouse.query<{ n: string | number; stored: string | number }>(
    `SELECT count() AS n, maxMerge(stored_offset) AS stored FROM ${table} WHERE source = {s:String}`,
    { s: source },
  );
  return row && Number(row.n) > 0 ? Number(row.stored) : -1;
}

export async function startSink(options: SinkOptions): Promise<Sink> {
  const { clickhouse, shards } = options;
  // `suffix`: '' for the tables themselves, '_local' for a shard's own.
  const storeOn = async (
    ch: ClickHouse,
    suffix: string,
    events: VoicePulseEvent[],
    { source, offsets }: Pick<BatchHandlerContext, 'source' | 'offsets'>,
  ) => {
    // Asked every batch (a few ms on a tiny table, against ~100 ms to insert one): a cached value
    // would go stale when a rebalance hands the partition to another sink and back.
    const stored = await storedPosition(ch, source, `sink_positions${suffix}`);
    // Offsets increase within a batch: everything before `first` was stored already.
    let first = 0;
    while (first < events.length && (offsets[first] as number) <= stored) first++;
    if (first > 0) {
      const skipped = events.slice(0, first);
      options.metrics?.skipped.inc({ table: TABLES[skipped[0]!.type] }, skipped.length);
      options.onSkipped?.(skipped);
    }
    const fresh = first === 0 ? events : events.slice(first);
    if (fresh.length === 0) return;
    const [rows, ...more] = encodeEvents(fresh, {
      source,
      offsets: first === 0 ? offsets : offsets.slice(first),
    });
    // One insert per batch keeps rows and position atomic; a topic holds one event type, so one table.
    if (!rows || more.length > 0) throw new Error(`batch from ${source} mixes event types`);
    const timer = options.metrics?.insertSeconds.startTimer({ table: rows.table });
    try {
      await ch.insertTsv(rows.table + suffix, rows.columns, rows.tsv);
    } catch (err) {
      options.metrics?.insertFailures.inc({ table: rows.table });
      throw err;
    }
    timer?.();
    options.metrics?.stored.inc({ table: rows.table }, rows.rows);
    options.onStored?.(fresh);
  };
  const store = async (events: VoicePulseEvent[], context: BatchHandlerContext) => {
    if (!shards) return storeOn(clickhouse, '', events, context);
    const parts = shards.map(() => ({ events: [] as VoicePulseEvent[], offsets: [] as number[] }));
    events.forEach((e, i) => {
      const part = parts[shardOf(e.tenantId, e.callId, shards.length)]!;
      part.events.push(e);
      part.offsets.push(context.offsets[i] as number);
    });
    for (const [i, part] of parts.entries())
      if (part.events.length > 0)
        await storeOn(shards[i]!, '_local', part.events, { source: context.source, offsets: part.offsets });
  };
  const subscription: Subscription = await options.bus.subscribe({
    groupId: options.groupId ?? DEFAULT_SINK_GROUP,
    types: ['score', 'alert', 'call_summary', 'alert_ack'],
    fromBeginning: options.fromBeginning ?? true,
    handler: store,
  });
  return { stop: () => subscription.stop() };
}
