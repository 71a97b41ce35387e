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
import type { BatchHandlerContext, EventBus, Subscription } from '../../core/bus/bus.ts';
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import type { SinkMetrics } from './metrics.ts';
import { encodeEvents, TABLES } from './rows.ts';

export const DEFAULT_SINK_GROUP = 'voicepulse-sink';

export interface SinkOptions {
  bus: EventBus;
  clickhouse: ClickHouse;
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

/** Highest offset of `source` already in ClickHouse, or -1. */
export async function storedPosition(clickhouse: ClickHouse, source: string): Promise<number> {
  const [row] = await clickhouse.query<{ n: string | number; stored: string | number }>(
    'SELECT count() AS n, maxMerge(stored_offset) AS stored FROM sink_positions WHERE source = {s:String}',
    { s: source },
  );
  return row && Number(row.n) > 0 ? Number(row.stored) : -1;
}

export async function startSink(options: SinkOptions): Promise<Sink> {
  const { clickhouse } = options;
  const store = async (events: VoicePulseEvent[], context: BatchHandlerContext) => {
    const { source, offsets } = context;
    // Asked every batch (a few ms on a tiny table, against ~100 ms to insert one): a cached value
    // would go stale when a rebalance hands the partition to another sink and back.
    const stored = await storedPosition(clickhouse, source);
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
      await clickhouse.insertTsv(rows.table, rows.columns, rows.tsv);
    } catch (err) {
      options.metrics?.insertFailures.inc({ table: rows.table });
      throw err;
    }
    timer?.();
    options.metrics?.stored.inc({ table: rows.table }, rows.rows);
    options.onStored?.(fresh);
  };
  const subscription: Subscription = await options.bus.subscribe({
    groupId: options.groupId ?? DEFAULT_SINK_GROUP,
    types: ['score', 'alert', 'call_summary'],
    fromBeginning: options.fromBeginning ?? true,
    handler: store,
  });
  return { stop: () => subscription.stop() };
}
