// Stores analysed recordings straight into ClickHouse (embedded chdb or a server) the way the sink
// stores what it consumes (sink.ts storeOnce): each event type of a recording is one source
// (core/recordings/store.ts), each event its index there, so a store that died half-way resumes and
// a second store of the same recording adds nothing, raw rows or minute aggregates.
// Reading the positions and inserting are two statements: stores of one recording must not overlap.
// This process runs one pass at a time; two processes storing the same recording at the same moment
// into one ClickHouse server could both insert it (uploads and `analyze --clickhouse` of the same
// file at once). Through Kafka the sink is the one writer of a call (core/recordings/store.ts).
//
// Recordings that ask to be stored while a pass runs wait and are stored together in the next one:
// per event type one read of their positions and one insert, in the order scores, alerts, summaries,
// so each recording's summary is still stored after its other events. A statement costs ClickHouse
// the same few milliseconds for one call's rows as for many calls' (and one more part to merge), and
// `analyze` finishes recordings in bursts: one pass per recording cost 12–18 % of its
// throughput on two cores. A pass that fails (ClickHouse refusing) fails every recording in it; each
// resumes as above. Events are validated when a recording asks, so an invalid one fails alone.
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import type { EventType, VoicePulseEvent } from '../../core/events/schema.ts';
import {
  byType,
  lookupRecording,
  type RecordingKey,
  type RecordingStore,
  recordingSource,
  STORING_ORDER,
} from '../../core/recordings/store.ts';
import { storeOnce } from './sink.ts';

interface Waiting {
  key: RecordingKey;
  /** Validated and grouped when asked (byType): a bad recording fails alone, before any pass. */
  groups: [EventType, VoicePulseEvent[]][];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function clickhouseRecordingStore(ch: ClickHouse): RecordingStore {
  let waiting: Waiting[] = [];
  let running = false;
  const pass = async (batch: readonly Waiting[]) => {
    const types = new Map(
      STORING_ORDER.map((t) => [
        t,
        { events: [] as VoicePulseEvent[], sources: [] as string[], offsets: [] as number[] },
      ]),
    );
    for (const { key, groups } of batch)
      for (const [type, group] of groups) {
        const t = types.get(type)!;
        const source = `${recordingSource(key)}#${type}`;
        group.forEach((e, i) => {
          t.events.push(e);
          t.sources.push(source);
          t.offsets.push(i);
        });
      }
    for (const { events, sources, offsets } of types.values())
      if (events.length > 0) await storeOnce(ch, events, { source: sources, offsets });
  };
  const drain = async () => {
    running = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await pass(batch);
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    running = false;
  };
  return {
    kind: 'clickhouse',
    lookup: (key) => lookupRecording(ch, key),
    store(key, events) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ key, groups: byType(events), resolve, reject });
        if (!running) void drain();
      });
    },
  };
}
