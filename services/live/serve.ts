// `voicepulse serve`: the live service plus the analytics side (bus, ClickHouse, sink) on embedded
// defaults, in the foreground, until SIGTERM/SIGINT. The composition root: it starts the analytics,
// mounts the query API (REST and gRPC) on their ClickHouse and the wallboard, and hands the bus to
// the live service.
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError } from '../../core/config/env.ts';
import { type Analytics, startAnalytics } from '../sink/analytics.ts';
import { type App, startApp } from './app.ts';
import { modelPresent, type ServeConfig } from './config.ts';
import { createQueryApi, type QueryApiOptions } from './query/api.ts';
import { queryGrpcImplementation, queryService } from './query/grpc.ts';
import { createWallboard } from './wallboard/wallboard.ts';

export interface Running {
  app: App;
  analytics: Analytics | undefined;
  log: Logger;
  stop(): Promise<void>;
}

export interface RunServeOptions {
  /** Start the bus, ClickHouse and the sink (false: live scoring only, `--no-pipeline`). */
  analytics: boolean;
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
  let analytics: Analytics | undefined;
  if (opts.analytics) {
    try {
      analytics = await startAnalytics(config.analytics, {
        onError: (err) => log.warn({ err }, 'analytics error'),
        registry,
      });
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
  // The wallboard replays what its history has seen since start-up (history.ts), so it is fed every event.
  const wallboard = createWallboard({
    auth: config.auth,
    ...(config.grafanaUrl ? { grafanaUrl: config.grafanaUrl } : {}),
  });
  const app = await startApp({
    port: config.port,
    grpcPort: config.grpcPort,
    host: config.host,
    token: config.token,
    tenantTokens: config.auth.tenantTokens,
    modelDir: config.modelDir,
    modelRuntime: config.modelRuntime,
    threads: config.threads,
    streaming: config.streaming,
    limits: config.limits,
    policies: config.policies,
    logger: log,
    registry,
    ...(analytics ? { bus: analytics.bus } : {}),
    http: [wallboard.handle, ...(queryApi ? [queryApi.handle.bind(queryApi)] : [])],
    onEvent: wallboard.record,
    grpcServices,
  });
  if (queryApi) registry.registerMetric(queryApi.limiter.limited);
  log.info(
    { urls: app.urls, threads: config.threads, model: config.modelDir, analytics: !!analytics },
    'voicepulse serving',
  );
  return {
    app,
    analytics,
    log,
    async stop() {
      wallboard.close();
      await app.stop();
      await analytics?.stop();
      log.info('voicepulse stopped');
      log.flush();
    },
  };
}

/** Stops `running` on the first SIGTERM/SIGINT; a second signal exits at once. */
export function stopOnSignals(running: Running, onStopped: () => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    running.log.info({ signal }, 'shutting down');
    running.stop().then(onStopped, (err: Error) => {
      running.log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
