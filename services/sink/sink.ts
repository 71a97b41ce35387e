// The ClickHouse sink: a consumer group over the score, alert and summary topics that writes each
// delivered batch with one insert per table. The handler resolves only after ClickHouse acknowledged
// every insert, so the bus commits offsets only for stored events; an insert that fails (ClickHouse
// down or refusing) rejects the batch and the bus redelivers it with back-off from the same offset.
//
// Exactly once, aggregates included. Every event is stored at a position (source, offset): its
// origin where it was published with one (a recording's own log, core/recordings/store.ts), else its
// place in the bus (`<group>@<topic>#<partition>`). Every raw row carries its position, and
// ClickHouse keeps the highest stored offset per source (migration 003), written by the same insert
// as the rows. The sink keeps an event only if its offset is above its source's stored position and
// above every offset of that source kept before it in the batch; the rest were stored before (or are
// copies of what this batch stores) and are skipped, so the per-minute views never count them twice.
// Why that is exact, given what the positions promise:
// - One offset of a source is one event: a bus offset by construction; an origin because every copy
//   of a recording's log is the same events at the same indices (analysis is deterministic).
// - Each copy of a source reaches the sink in offset order, from its first offset on: a bus partition
//   is read in order; a recording's log is published in index order by one producer, idempotent with
//   one request in flight, so a partition keeps it in order and a run that dies leaves a prefix. Two
//   copies published at once (two runs of one recording) may interleave in the partition, but all
//   events of a call share one partition of each topic (the key is the call id), so one sink sees both.
// - So when an event is skipped, an event at its offset or above of the same source was stored
//   earlier, and that event's copy reached the sink after this offset's from the same copy: this
//   offset was stored (nothing lost); and a kept event's offset was never stored (nothing doubled).
// - A batch is one insert, atomic with the positions it raises; a failed insert stores nothing and
//   the batch is redelivered. The position is read before every insert, not cached: a rebalance can
//   hand the partition to another sink and back.
// The raw tables would collapse copies anyway (ReplacingMergeTree); the aggregates could not.
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
import { type BatchPosition, type EncodedRows, encodeEvents, TABLES } from './rows.ts';

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

/** Sources whose positions one statement reads (each a scalar parameter: 18.16 binds no arrays). */
const POSITION_QUERY_SOURCES = 64;

/** The highest stored offset of each of `sources` (`table`: a shard's local one); absent: none. */
export async function storedPositions(
  clickhouse: ClickHouse,
  sources: Iterable<string>,
  table = 'sink_positions',
): Promise<Map<string, number>> {
  const stored = new Map<string, number>();
  const unique = [...new Set(sources)];
  for (let at = 0; at < unique.length; at += POSITION_QUERY_SOURCES) {
    const chunk = unique.slice(at, at + POSITION_QUERY_SOURCES);
    const rows = await clickhouse.query<{ source: string; stored: string | number }>(
      `SELECT source, maxMerge(stored_offset) AS stored FROM ${table}
       WHERE source IN (${chunk.map((_, i) => `{s${i}:String}`).join(', ')}) GROUP BY source`,
      Object.fromEntries(chunk.map((source, i) => [`s${i}`, source])),
    );
    for (const row of rows) stored.set(row.source, Number(row.stored));
  }
  return stored;
}

/**
 * Stores events of one type at their positions, exactly once (the argument above): what was stored
 * before, or repeats an offset the batch stores, is skipped; the rest is one insert of rows and
 * positions. `suffix`: '' for the tables themselves, '_local' for a shard's own.
 */
export async function storeOnce(
  ch: ClickHouse,
  events: readonly VoicePulseEvent[],
  position: BatchPosition,
  suffix = '',
): Promise<{ stored: VoicePulseEvent[]; skipped: VoicePulseEvent[]; rows?: EncodedRows }> {
  const { source, offsets } = position;
  const sourceOf = typeof source === 'string' ? () => source : (i: number) => source[i] as string;
  const high = await storedPositions(
    ch,
    typeof source === 'string' ? [source] : source,
    `sink_positions${suffix}`,
  );
  const stored: VoicePulseEvent[] = [];
  const skipped: VoicePulseEvent[] = [];
  const kept = { sources: [] as string[], offsets: [] as number[] };
  events.forEach((event, i) => {
    const s = sourceOf(i);
    const offset = offsets[i] as number;
    if (offset <= (high.get(s) ?? -1)) {
      skipped.push(event);
      return;
    }
    high.set(s, offset);
    stored.push(event);
    kept.sources.push(s);
    kept.offsets.push(offset);
  });
  if (stored.length === 0) return { stored, skipped };
  const [rows, ...more] = encodeEvents(stored, {
    source: typeof source === 'string' ? source : kept.sources,
    offsets: kept.offsets,
  });
  // One insert keeps rows and positions atomic, so one table: events of one type.
  if (!rows || more.length > 0) throw new Error('a batch to store mixes event types');
  await ch.insertTsv(rows.table + suffix, rows.columns, rows.tsv);
  return { stored, skipped, rows };
}

/** Each event's position: its origin where it has one, else its place in the bus. */
function positionsOf({ source, offsets, origins }: BatchHandlerContext): BatchPosition {
  if (!origins) return { source, offsets };
  return {
    source: origins.map((o) => o?.source ?? source),
    offsets: origins.map((o, i) => o?.offset ?? (offsets[i] as number)),
  };
}

export async function startSink(options: SinkOptions): Promise<Sink> {
  const { clickhouse, shards } = options;
  const storeOn = async (
    ch: ClickHouse,
    suffix: string,
    events: VoicePulseEvent[],
    position: BatchPosition,
  ) => {
    // A topic holds one event type, so a batch is one table.
    const table = TABLES[events[0]!.type];
    const timer = options.metrics?.insertSeconds.startTimer({ table });
    let result: Awaited<ReturnType<typeof storeOnce>>;
    try {
      result = await storeOnce(ch, events, position, suffix);
    } catch (err) {
      options.metrics?.insertFailures.inc({ table });
      throw err;
    }
    if (result.skipped.length > 0) {
      options.metrics?.skipped.inc({ table }, result.skipped.length);
      options.onSkipped?.(result.skipped);
    }
    if (!result.rows) return;
    timer?.();
    options.metrics?.stored.inc({ table }, result.rows.rows);
    options.onStored?.(result.stored);
  };
  const store = async (events: VoicePulseEvent[], context: BatchHandlerContext) => {
    const position = positionsOf(context);
    if (!shards) return storeOn(clickhouse, '', events, position);
    const { source, offsets } = position;
    const parts = shards.map(() => ({
      events: [] as VoicePulseEvent[],
      sources: [] as string[],
      offsets: [] as number[],
    }));
    events.forEach((e, i) => {
      const part = parts[shardOf(e.tenantId, e.callId, shards.length)]!;
      part.events.push(e);
      if (typeof source !== 'string') part.sources.push(source[i] as string);
      part.offsets.push(offsets[i] as number);
    });
    for (const [i, part] of parts.entries())
      if (part.events.length > 0)
        await storeOn(shards[i]!, '_local', part.events, {
          source: typeof source === 'string' ? source : part.sources,
          offsets: part.offsets,
        });
  };
  const subscription: Subscription = await options.bus.subscribe({
    groupId: options.groupId ?? DEFAULT_SINK_GROUP,
    types: ['score', 'alert', 'call_summary', 'alert_ack'],
    fromBeginning: options.fromBeginning ?? true,
    handler: store,
  });
  return { stop: () => subscription.stop() };
}
