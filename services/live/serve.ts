// `voicepulse serve`: the live service in the foreground until SIGTERM/SIGINT, with the analytics
// side it is given (the bus its events go to, the ClickHouse its query API reads). It mounts the
// query API (REST and gRPC), recordings and the wallboard, and hands the bus to the live service.
// What the analytics are (embedded bus + chdb + an in-process sink, or Kafka + a ClickHouse server)
// is decided above the live and sink deployables (cli/commands/serve.ts), which keeps them apart.
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { EventBus } from '../../core/bus/bus.ts';
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import { ConfigError } from '../../core/config/env.ts';
import type { AlertAckEvent } from '../../core/events/schema.ts';
import type { RecordingStore } from '../../core/recordings/store.ts';
import { type App, startApp } from './app.ts';
import { modelPresent, type ServeConfig } from './config.ts';
import { kafkaFeedSource } from './feed/kafka.ts';
import { createQueryApi, type QueryApiOptions } from './query/api.ts';
import { queryGrpcImplementation, queryService } from './query/grpc.ts';
import { startRecordings } from './recordings/service.ts';
import { clickhouseBoardStore } from './wallboard/store.ts';
import { createWallboard } from './wallboard/wallboard.ts';

/** The analytics side as the live service sees it. */
export interface LiveAnalytics {
  /** Where every event goes (the pipeline's bus). */
  bus: EventBus;
  /**
   * Other processes publish to the same bus (Kafka): watchers are then fed from it, so every pod
   * shows every call of a tenant (feed/). false: this process's events only (the in-process bus).
   */
  shared: boolean;
  /** What the query API reads. */
  clickhouse: ClickHouse;
  /** Where analysed uploads are stored. */
  recordingStore: RecordingStore;
  stop(): Promise<void>;
}

/** Starts the analytics side; `registry` is the process's /metrics, `onError` logs what it reports. */
export type AnalyticsStarter = (o: {
  registry: Registry;
  onError: (err: Error) => void;
}) => Promise<LiveAnalytics>;

export interface Running {
  app: App;
  analytics: LiveAnalytics | undefined;
  log: Logger;
  stop(): Promise<void>;
}

export interface RunServeOptions {
  /** Starts the bus, ClickHouse (and the sink where it runs here); absent: live scoring only, `--no-pipeline`. */
  analytics?: AnalyticsStarter | undefined;
  /** pino level; default the configured one, else 'info'. */
  logLevel?: string;
}

export async function runServe(config: ServeConfig, opts: RunServeOptions): Promise<Running> {
  const log = pino({ level: opts.logLevel ?? config.logLevel ?? 'info' }, pino.destination(2));
  if (!modelPresent(config.modelDir))
    throw new ConfigError(
      'NO_MODEL',
      `no emotion model at ${config.modelDir} (train one with \`voicepulse train\` or pass --model DIR)`,
    );
  const registry = new Registry();
  let analytics: LiveAnalytics | undefined;
  if (opts.analytics) {
    try {
      analytics = await opts.analytics({ onError: (err) => log.warn({ err }, 'analytics error'), registry });
    } catch (err) {
      // Live scoring does not need the analytics store; say so loudly and carry on without it.
      log.error({ err }, 'analytics failed to start; serving live scores only');
    }
  }
  // The query API reads what the sink stores; REST (/api/) and gRPC (on the gateway's gRPC port)
  // share one rate limiter.
  const queryOptions: QueryApiOptions | undefined = analytics
    ? {
        clickhouse: analytics.clickhouse,
        auth: config.auth,
        rateLimit: config.rateLimit,
        onError: (err: Error) => log.error({ err }, 'query API error'),
      }
    : undefined;
  const queryApi = queryOptions ? createQueryApi(queryOptions) : undefined;
  const grpcServices =
    queryOptions && queryApi
      ? [
          {
            service: queryService().service,
            implementation: queryGrpcImplementation({ ...queryOptions, limiter: queryApi.limiter }),
          },
        ]
      : [];
  // Uploaded recordings are stored where the pipeline stores live calls.
  const recordings =
    analytics && queryApi
      ? startRecordings({
          spoolDir: config.recordingsDir,
          owner: config.podId,
          store: analytics.recordingStore,
          modelDir: config.modelDir,
          runtime: config.modelRuntime,
          explain: config.explain,
          streaming: config.streaming,
          policies: config.policies,
          auth: config.auth,
          limiter: queryApi.limiter,
          log,
        })
      : undefined;
  // The wallboard replays what its history has seen since start-up (history.ts), so it is fed every
  // event; acknowledgements go on the bus (every pod, the sink) and come back from the store after a
  // restart.
  const wallboard = createWallboard({
    auth: config.auth,
    ...(config.grafanaUrl ? { grafanaUrl: config.grafanaUrl } : {}),
    ...(analytics
      ? {
          publish: (event: AlertAckEvent) => analytics.bus.publish([event]),
          store: clickhouseBoardStore(analytics.clickhouse),
          onError: (err: Error) => log.warn({ err }, 'wallboard history store'),
        }
      : {}),
  });
  const app = await startApp({
    port: config.port,
    grpcPort: config.grpcPort,
    host: config.host,
    token: config.token,
    tenantTokens: config.auth.tenantTokens,
    ...config.carriers,
    ...(config.metricsListener ? { metricsListener: config.metricsListener } : {}),
    modelDir: config.modelDir,
    modelRuntime: config.modelRuntime,
    explain: config.explain,
    threads: config.threads,
    streaming: config.streaming,
    limits: config.limits,
    policies: config.policies,
    logger: log,
    registry,
    ...(analytics ? { bus: analytics.bus } : {}),
    http: [
      wallboard.handle,
      ...(recordings ? [recordings.handle] : []),
      ...(queryApi ? [queryApi.handle.bind(queryApi)] : []),
    ],
    onEvent: wallboard.record,
    grpcServices: [...grpcServices, ...(recordings ? [recordings.grpc] : [])],
    drainMs: config.drainMs,
    ...(analytics?.shared && config.pipeline.kafka.brokers
      ? {
          cluster: {
            podId: config.podId,
            source: kafkaFeedSource({
              brokers: config.pipeline.kafka.brokers,
              topicPrefix: config.pipeline.kafka.topicPrefix,
              replicationFactor: config.pipeline.kafka.replicationFactor,
              podId: config.podId,
              onError: (err) => log.warn({ err }, 'cluster feed'),
            }),
          },
        }
      : {}),
  });
  if (queryApi) registry.registerMetric(queryApi.limiter.limited);
  log.info(
    {
      urls: app.urls,
      threads: config.threads,
      model: config.modelDir,
      analytics: !!analytics,
      pod: config.podId,
      feed: analytics?.shared ? 'cluster' : 'process',
    },
    'voicepulse serving',
  );
  return {
    app,
    analytics,
    log,
    async stop() {
      // The wallboard keeps streaming while the calls drain.
      await app.stop();
      wallboard.close();
      await recordings?.close();
      await analytics?.stop();
      log.info('voicepulse stopped');
      log.flush();
    },
  };
}

export interface SignalOptions {
  /** Where SIGTERM and SIGINT arrive. @default process */
  signals?: Pick<NodeJS.EventEmitter, 'on'>;
  /** A second signal, a failed start or a failed stop. @default () => process.exit(1) */
  abort?: () => void;
}

/**
 * Stops the service on the first SIGTERM/SIGINT; a second signal aborts at once. Installed before the
 * service has started (`running` a promise): a signal during start-up, when the port may already take
 * calls, stops it gracefully once it is up instead of killing the process (CI caught a SIGTERM sent
 * just after /healthz answered, before the handlers were there).
 */
export function stopOnSignals(
  running: Running | Promise<Running>,
  onStopped: () => void,
  o: SignalOptions = {},
): void {
  const abort = o.abort ?? (() => process.exit(1));
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return abort();
    stopping = true;
    Promise.resolve(running).then(
      (r) => {
        r.log.info({ signal }, 'shutting down');
        r.stop().then(onStopped, (err: Error) => {
          r.log.error({ err }, 'shutdown failed');
          abort();
        });
      },
      // Start-up failed: the caller reports why; nothing is left to stop.
      abort,
    );
  };
  const signals = o.signals ?? process;
  signals.on('SIGTERM', handler);
  signals.on('SIGINT', handler);
}
