// Where analysed recordings go, idempotently. A recording's events are stored under its own
// sources, `recording:<content hash>:<tenant>/<call id>#<event type>`, each event at its index there:
// the sink's exactly-once argument (services/sink/sink.ts) then holds as is. Each insert writes the
// rows and the source's stored position together; before it, the position is read and events at or
// below it are skipped. So a run that died half-way resumes where it stopped, and a second run of the
// same audio and call id stores nothing twice, raw rows or minute aggregates.
// The summary is stored last and marks the call complete: a call whose summary exists from the same
// audio is skipped without analysis; one whose summary came from other audio (or a live call) keeps
// its call id, and the recording is refused.
//
// This module holds what both stores share; the direct one, which writes rows, is the sink's
// (services/sink/recording-store.ts). Through the event bus (Kafka) the events are published with
// those positions as their origins (core/bus EventOrigin), and the sink stores them there. The check
// before analysis reads ClickHouse, which the sink may not have caught up with: two runs racing the
// sink both publish, and the sink skips the second copy.
import type { EventBus } from '../bus/bus.ts';
import type { ClickHouse } from '../clickhouse/client.ts';
import { type EventType, parseEvent, type VoicePulseEvent } from '../events/schema.ts';

export interface RecordingKey {
  tenantId: string;
  callId: string;
  /** sha256 of the recording's bytes, hex. */
  contentHash: string;
}

export type StoredState =
  | { state: 'absent' }
  /** Complete, from the same audio: nothing to do. */
  | { state: 'same' }
  /** The call id holds another call: a recording of other audio, or a live call. */
  | { state: 'taken'; by: string };

export interface RecordingStore {
  readonly kind: 'clickhouse' | 'bus';
  lookup(key: RecordingKey): Promise<StoredState>;
  /** Stores a recording's events (scores, alerts, then its summary); idempotent per key. */
  store(key: RecordingKey, events: readonly VoicePulseEvent[]): Promise<void>;
}

const PREFIX = 'recording:';
export const recordingSource = (key: RecordingKey) =>
  `${PREFIX}${key.contentHash}:${key.tenantId}/${key.callId}`;
/** The order a recording's events are stored in: the summary, which marks it complete, last. */
export const STORING_ORDER: readonly EventType[] = ['score', 'alert', 'call_summary'];

export async function lookupRecording(ch: ClickHouse, key: RecordingKey): Promise<StoredState> {
  const [row] = await ch.query<{ source: string }>(
    `SELECT source FROM call_summaries FINAL
     WHERE tenant_id = {tenant:String} AND call_id = {call:String} LIMIT 1`,
    { tenant: key.tenantId, call: key.callId },
  );
  if (!row) return { state: 'absent' };
  if (row.source === `${recordingSource(key)}#call_summary`) return { state: 'same' };
  return {
    state: 'taken',
    by: row.source.startsWith(PREFIX) ? 'a recording of other audio' : 'a live call',
  };
}

/** Validated (the bus boundary's check, for the direct path too), grouped by type in storing order. */
export function byType(events: readonly VoicePulseEvent[]): [EventType, VoicePulseEvent[]][] {
  const groups = new Map<EventType, VoicePulseEvent[]>(STORING_ORDER.map((t) => [t, []]));
  for (const e of events) groups.get(e.type)!.push(parseEvent(e));
  return [...groups].filter(([, es]) => es.length > 0);
}

export function busRecordingStore(bus: EventBus, ch: ClickHouse): RecordingStore {
  return {
    kind: 'bus',
    lookup: (key) => lookupRecording(ch, key),
    async store(key, events) {
      for (const [type, group] of byType(events)) {
        const source = `${recordingSource(key)}#${type}`;
        await bus.publish(
          group,
          group.map((_, offset) => ({ source, offset })),
        );
      }
    },
  };
}
