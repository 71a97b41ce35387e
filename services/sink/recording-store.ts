// Stores analysed recordings straight into ClickHouse (embedded chdb or a server) the way the sink
// stores what it consumes (sink.ts storeOnce): each event type of a recording is one source
// (core/recordings/store.ts), each event its index there, so a store that died half-way resumes and
// a second store of the same recording adds nothing, raw rows or minute aggregates.
// Reading the position and inserting are two statements: stores of one recording must not overlap.
// This process runs one store at a time; two processes storing the same recording at the same moment
// into one ClickHouse server could both insert it (uploads and `analyze --clickhouse` of the same
// file at once). Through Kafka the sink is the one writer of a call (core/recordings/store.ts).
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import {
  byType,
  lookupRecording,
  type RecordingStore,
  recordingSource,
} from '../../core/recordings/store.ts';
import { storeOnce } from './sink.ts';

export function clickhouseRecordingStore(ch: ClickHouse): RecordingStore {
  let last: Promise<void> = Promise.resolve();
  return {
    kind: 'clickhouse',
    lookup: (key) => lookupRecording(ch, key),
    store(key, events) {
      const run = last.then(async () => {
        for (const [type, group] of byType(events))
          await storeOnce(ch, group, {
            source: `${recordingSource(key)}#${type}`,
            offsets: group.map((_, i) => i),
          });
      });
      last = run.catch(() => {});
      return run;
    },
  };
}
