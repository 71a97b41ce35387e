// The analytics pipeline as one start/stop unit for `voicepulse serve`: the event bus, ClickHouse
// (schema migrated), and the sink between them. Embedded by default (in-process bus + chdb under
// the cache dir); `--kafka host:port[,…]` / VOICEPULSE_KAFKA and `--clickhouse http://host:8123` /
// VOICEPULSE_CLICKHOUSE switch either side to the real service.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { type AuthConfig, authConfigFromEnv } from '../../core/auth/tokens.ts';
import type { EventBus } from '../../core/bus/bus.ts';
import { createBus, parseBrokers } from '../../core/bus/create.ts';
import { DeadLetterError } from '../../core/bus/kafka.ts';
import { type ClickHouse, type ClickHouseConfig, connectClickHouse } from '../../core/clickhouse/client.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import { createQueryApi, type QueryApi } from '../live/query/api.ts';
import { SinkMetrics } from './metrics.ts';
import { dropExpiredPartitions } from './retention.ts';
import { DEFAULT_SINK_GROUP, type Sink, startSink } from './sink.ts';

export interface PipelineConfig {
  /** Kafka brokers; absent = the in-process bus. */
  kafkaBrokers?: string[];
  kafkaPartitions?: number;
  kafkaReplicationFactor?: number;
  /** Prefix for Kafka topic names (tests, shared brokers). */
  topicPrefix?: string;
  clickhouse: ClickHouseConfig;
  /** Sink consumer group (default voicepulse-sink); sink instances sharing it split the partitions. */
  sinkGroupId?: string;
  /** false: leave the schema alone (a cluster set up from deploy/clickhouse/cluster/; see the README). */
  migrate?: boolean;
  /** Days of raw scores and alerts to keep (VOICEPULSE_RETENTION_DAYS); absent = keep all. */
  retentionDays?: number;
  /** false: bus and ClickHouse only, no sink in this process (e.g. a gateway-only instance). */
  runSink?: boolean;
  /** Tokens for the query API (VOICEPULSE_TOKEN, VOICEPULSE_TENANT_TOKENS, VOICEPULSE_DEFAULT_TENANT). */
  auth: AuthConfig;
}

export class PipelineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineConfigError';
  }
}

export interface PipelineFlags {
  kafka?: string;
  clickhouse?: string;
}

/** Configuration from CLI flags, then environment variables, then the embedded defaults. */
export function pipelineConfig(
  flags: PipelineFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): PipelineConfig {
  const kafka = flags.kafka ?? env.VOICEPULSE_KAFKA ?? env.VOICEPULSE_KAFKA_BROKERS;
  const clickhouseUrl = flags.clickhouse ?? env.VOICEPULSE_CLICKHOUSE ?? env.VOICEPULSE_CLICKHOUSE_URL;
  const cache =
    env.VOICEPULSE_CACHE_DIR ??
    join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'voicepulse');
  const intEnv = (name: string) => {
    const value = env[name];
    if (!value) return undefined;
    if (!/^[1-9]\d{0,5}$/.test(value))
      throw new PipelineConfigError(`${name}=${value}: expected a positive integer`);
    return Number(value);
  };
  const config: PipelineConfig = {
    auth: authConfigFromEnv(env),
    clickhouse: clickhouseUrl
      ? {
          kind: 'http',
          url: clickhouseUrl,
          database: env.VOICEPULSE_CLICKHOUSE_DATABASE ?? 'voicepulse',
          ...(env.VOICEPULSE_CLICKHOUSE_USER ? { username: env.VOICEPULSE_CLICKHOUSE_USER } : {}),
          ...(env.VOICEPULSE_CLICKHOUSE_PASSWORD ? { password: env.VOICEPULSE_CLICKHOUSE_PASSWORD } : {}),
        }
      : { kind: 'chdb', path: env.VOICEPULSE_CHDB_PATH ?? join(cache, 'chdb') },
  };
  if (kafka) config.kafkaBrokers = parseBrokers(kafka);
  const partitions = intEnv('VOICEPULSE_KAFKA_PARTITIONS');
  const replication = intEnv('VOICEPULSE_KAFKA_REPLICATION');
  if (partitions !== undefined) config.kafkaPartitions = partitions;
  if (replication !== undefined) config.kafkaReplicationFactor = replication;
  if (env.VOICEPULSE_KAFKA_TOPIC_PREFIX) config.topicPrefix = env.VOICEPULSE_KAFKA_TOPIC_PREFIX;
  if (env.VOICEPULSE_CLICKHOUSE_MIGRATE === '0' || env.VOICEPULSE_CLICKHOUSE_MIGRATE === 'false')
    config.migrate = false;
  const retention = intEnv('VOICEPULSE_RETENTION_DAYS');
  if (retention !== undefined) config.retentionDays = retention;
  if (env.VOICEPULSE_SINK_GROUP) config.sinkGroupId = env.VOICEPULSE_SINK_GROUP;
  return config;
}

const RETENTION_SWEEP_MS = 6 * 3_600_000;

export interface Pipeline {
  bus: EventBus;
  clickhouse: ClickHouse;
  sink: Sink | undefined;
  /** Mount on the HTTP server: `if (await pipeline.query.handle(req, res)) return;` */
  query: QueryApi;
  stop(): Promise<void>;
}

export interface StartPipelineOptions {
  /** Reported when a batch fails to store (it is retried) or a message is dead-lettered. */
  onError?: (error: Error) => void;
  /** Where the sink's metrics go (the process's /metrics); none = not measured. */
  registry?: Registry;
}

export async function startPipeline(
  config: PipelineConfig,
  options: StartPipelineOptions = {},
): Promise<Pipeline> {
  const metrics =
    options.registry && config.runSink !== false ? new SinkMetrics(options.registry) : undefined;
  const onError =
    options.onError || metrics
      ? (error: Error) => {
          if (error instanceof DeadLetterError) metrics?.deadLetters.inc();
          options.onError?.(error);
        }
      : undefined;
  const clickhouse = await connectClickHouse(config.clickhouse);
  try {
    if (config.migrate !== false) await migrate(clickhouse);
    const bus = await createBus(
      config.kafkaBrokers
        ? {
            kind: 'kafka',
            brokers: config.kafkaBrokers,
            ...(config.kafkaPartitions ? { partitions: config.kafkaPartitions } : {}),
            ...(config.kafkaReplicationFactor ? { replicationFactor: config.kafkaReplicationFactor } : {}),
            ...(config.topicPrefix ? { topicPrefix: config.topicPrefix } : {}),
            ...(onError ? { onError } : {}),
          }
        : { kind: 'in-process', ...(onError ? { onError } : {}) },
    );
    const sink =
      config.runSink === false
        ? undefined
        : await startSink({
            bus,
            clickhouse,
            groupId: config.sinkGroupId ?? DEFAULT_SINK_GROUP,
            ...(metrics ? { metrics } : {}),
          });
    // Retention runs where the sink runs: at start, then every RETENTION_SWEEP_MS.
    const sweep = () =>
      config.retentionDays === undefined
        ? undefined
        : dropExpiredPartitions(clickhouse, config.retentionDays).catch((err: Error) => onError?.(err));
    let retention: NodeJS.Timeout | undefined;
    if (sink && config.retentionDays !== undefined) {
      await sweep();
      retention = setInterval(sweep, RETENTION_SWEEP_MS);
      retention.unref();
    }
    return {
      bus,
      clickhouse,
      sink,
      query: createQueryApi({ clickhouse, auth: config.auth, ...(onError ? { onError } : {}) }),
      stop: async () => {
        clearInterval(retention);
        await sink?.stop();
        await bus.close();
        await clickhouse.close();
      },
    };
  } catch (err) {
    await clickhouse.close();
    throw err;
  }
}
