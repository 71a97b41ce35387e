// The ClickHouse sink: a consumer group over the score, alert and summary topics that writes each
// delivered batch with one insert per table. The handler resolves only after ClickHouse acknowledged
// every insert, so the bus commits offsets only for stored events; an insert that fails (ClickHouse
// down or refusing) rejects the batch and the bus redelivers it with back-off from the same offset.
// Redelivered rows collapse in the ReplacingMergeTree tables (see the migrations).
import type { EventBus, Subscription } from '../../core/bus/bus.ts';
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { rowsByTable } from './rows.ts';

export const DEFAULT_SINK_GROUP = 'voicepulse-sink';

export interface SinkOptions {
  bus: EventBus;
  clickhouse: ClickHouse;
  groupId?: string;
  /** Read what the group has not committed yet, from the oldest retained event (default true). */
  fromBeginning?: boolean;
  /** Called after each stored batch (metrics, tests). */
  onStored?: (events: readonly VoicePulseEvent[]) => void;
}

export interface Sink {
  stop(): Promise<void>;
}

export async function startSink(options: SinkOptions): Promise<Sink> {
  const { clickhouse } = options;
  const subscription: Subscription = await options.bus.subscribe({
    groupId: options.groupId ?? DEFAULT_SINK_GROUP,
    types: ['score', 'alert', 'call_summary'],
    fromBeginning: options.fromBeginning ?? true,
    handler: async (events) => {
      for (const [table, rows] of rowsByTable(events)) await clickhouse.insert(table, rows);
      options.onStored?.(events);
    },
  });
  return { stop: () => subscription.stop() };
}
