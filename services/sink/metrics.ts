// Prometheus metrics of the sink (names carry their unit, per Prometheus conventions).
import { Counter, Histogram, type Registry } from 'prom-client';

export class SinkMetrics {
  readonly stored: Counter<'table'>;
  readonly skipped: Counter<'table'>;
  readonly insertSeconds: Histogram<'table'>;
  readonly insertFailures: Counter<'table'>;
  readonly deadLetters: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.stored = new Counter({
      name: 'voicepulse_sink_rows_stored_total',
      help: 'Rows inserted into ClickHouse, by table',
      labelNames: ['table'],
      registers,
    });
    this.skipped = new Counter({
      name: 'voicepulse_sink_rows_skipped_total',
      help: 'Redelivered events skipped because ClickHouse already had them, by table',
      labelNames: ['table'],
      registers,
    });
    this.insertSeconds = new Histogram({
      name: 'voicepulse_sink_insert_seconds',
      help: 'Duration of storing one batch in ClickHouse (its stored positions read, then the insert), by table',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.insertFailures = new Counter({
      name: 'voicepulse_sink_insert_failures_total',
      help: 'Batch inserts that failed and will be retried, by table',
      labelNames: ['table'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'voicepulse_sink_dead_letters_total',
      help: 'Messages that were not valid events, moved to the dead-letter topic',
      registers,
    });
  }
}
