// Stores analysed recordings straight into ClickHouse (embedded chdb or a server) with the sink's
// exactly-once positions: each event type of a recording is one source (core/recordings/store.ts),
// each event its index there; before each insert the stored position is read and what is at or
// below it is skipped, and the insert writes rows and position together (migration 003).
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import {
  byType,
  lookupRecording,
  type RecordingKey,
  type RecordingStore,
  recordingSource,
} from '../../core/recordings/store.ts';
import { encodeEvents } from './rows.ts';
import { storedPosition } from './sink.ts';

export function clickhouseRecordingStore(ch: ClickHouse): RecordingStore {
  // One store at a time: two copies of one recording analysed together must not both read the
  // position before either has written it.
  let last: Promise<void> = Promise.resolve();
  return {
    kind: 'clickhouse',
    lookup: (key) => lookupRecording(ch, key, true),
    store(key, events) {
      const run = last.then(() => storeEvents(ch, key, events));
      last = run.catch(() => {});
      return run;
    },
  };
}

async function storeEvents(
  ch: ClickHouse,
  key: RecordingKey,
  events: readonly VoicePulseEvent[],
): Promise<void> {
  for (const [type, group] of byType(events)) {
    const source = `${recordingSource(key)}#${type}`;
    const first = (await storedPosition(ch, source)) + 1;
    if (first >= group.length) continue;
    const fresh = group.slice(first);
    for (const rows of encodeEvents(fresh, { source, offsets: fresh.map((_, i) => first + i) }))
      await ch.insertTsv(rows.table, rows.columns, rows.tsv);
  }
}
