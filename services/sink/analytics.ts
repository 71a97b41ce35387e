// The analytics side as one start/stop unit: the event bus, ClickHouse (schema migrated) and the sink
// between them. The standalone sink process (main.ts) runs it, and `voicepulse serve` embeds it
// next to the live service (which publishes to its bus and mounts the query API on its ClickHouse).
// Embedded by default (in-process bus + chdb under the cache dir); Kafka brokers and a ClickHouse
// URL in the settings (VOICEPULSE_KAFKA_BROKERS, VOICEPULSE_CLICKHOUSE_URL) switch either side to
// the real service.
import type { Registry } from 'prom-client';
import type { EventBus } from '../../core/bus/bus.ts';
import { createBus } from '../../core/bus/create.ts';
import { DeadLetterError } from '../../core/bus/kafka.ts';
import {
  type ClickHouse,
  type ClickHouseConfig,
  connectClickHouse,
  connectHttp,
} from '../../core/clickhouse/client.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import type { KafkaSettings, Settings } from '../../core/config/env.ts';
import { SinkMetrics } from './metrics.ts';
import { dropExpiredPartitions } from './retention.ts';
import { DEFAULT_SINK_GROUP, type Sink, startSink } from './sink.ts';

export interface AnalyticsConfig {
  /** The bus: Kafka when `brokers` are given, else in-process. */
  kafka: KafkaSettings;
  clickhouse: ClickHouseConfig;
  /**
   * Shard URLs of an unreplicated cluster (remote_servers order): the sink writes each call to its
   * shard's local tables (sink.ts). The schema is the cluster's (deploy/clickhouse/cluster), never migrated here.
   */
  shards?: readonly string[] | undefined;
  /** false: leave the schema alone (a cluster set up from deploy/clickhouse/cluster/; see the README). */
  migrate: boolean;
  /** The sink in this process; false: bus and ClickHouse only. */
  sink: { groupId: string; retentionDays?: number | undefined } | false;
}

/** The analytics configuration the settings describe (the bus, ClickHouse and sink sections). */
export function analyticsConfig(settings: Pick<Settings, 'kafka' | 'clickhouse' | 'sink'>): AnalyticsConfig {
  const ch = settings.clickhouse;
  return {
    kafka: settings.kafka,
    clickhouse: ch.url
      ? { kind: 'http', url: ch.url, database: ch.database, username: ch.username, password: ch.password }
      : { kind: 'chdb', path: ch.chdbPath },
    shards: ch.shards,
    migrate: ch.migrate && !ch.shards,
    sink: {
      groupId: settings.sink.groupId ?? DEFAULT_SINK_GROUP,
      retentionDays: settings.sink.retentionDays,
    },
  };
}

const RETENTION_SWEEP_MS = 6 * 3_600_000;

export interface Analytics {
  bus: EventBus;
  clickhouse: ClickHouse;
  sink: Sink | undefined;
  stop(): Promise<void>;
}

export interface StartAnalyticsOptions {
  /** Reported when a batch fails to store (it is retried) or a message is dead-lettered. */
  onError?: (error: Error) => void;
  /** Where the sink's metrics go (the process's /metrics); none = not measured. */
  registry?: Registry;
}

export async function startAnalytics(
  config: AnalyticsConfig,
  options: StartAnalyticsOptions = {},
): Promise<Analytics> {
  const metrics = options.registry && config.sink ? new SinkMetrics(options.registry) : undefined;
  const onError =
    options.onError || metrics
      ? (error: Error) => {
          if (error instanceof DeadLetterError) metrics?.deadLetters.inc();
          options.onError?.(error);
        }
      : undefined;
  const clickhouse = await connectClickHouse(config.clickhouse);
  const shards: ClickHouse[] = [];
  try {
    if (config.sink && config.shards && config.clickhouse.kind === 'http') {
      const { kind: _, ...http } = config.clickhouse;
      for (const url of config.shards) shards.push(await connectHttp({ ...http, url }));
    }
    if (config.migrate) await migrate(clickhouse);
    const { brokers, partitions, replicationFactor, topicPrefix } = config.kafka;
    const bus = await createBus(
      brokers
        ? { kind: 'kafka', brokers, partitions, replicationFactor, topicPrefix, onError }
        : { kind: 'in-process', onError },
    );
    const sink = config.sink
      ? await startSink({
          bus,
          clickhouse,
          groupId: config.sink.groupId,
          ...(shards.length > 0 ? { shards } : {}),
          ...(metrics ? { metrics } : {}),
        })
      : undefined;
    // Retention runs where the sink runs: at start, then every RETENTION_SWEEP_MS.
    const days = config.sink ? config.sink.retentionDays : undefined;
    let retention: NodeJS.Timeout | undefined;
    if (sink && days !== undefined) {
      const sweep = () =>
        Promise.all(
          shards.length > 0
            ? shards.map((shard) => dropExpiredPartitions(shard, days, Date.now(), '_local'))
            : [dropExpiredPartitions(clickhouse, days)],
        ).catch((err: Error) => onError?.(err));
      await sweep();
      retention = setInterval(sweep, RETENTION_SWEEP_MS);
      retention.unref();
    }
    return {
      bus,
      clickhouse,
      sink,
      stop: async () => {
        clearInterval(retention);
        await sink?.stop();
        await bus.close();
        await Promise.all([clickhouse, ...shards].map((ch) => ch.close()));
      },
    };
  } catch (err) {
    await Promise.all([clickhouse, ...shards].map((ch) => ch.close()));
    throw err;
  }
}
