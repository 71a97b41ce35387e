// `voicepulse serve`: the live service plus the analytics pipeline (bus + ClickHouse sink) on
// embedded defaults, in the foreground, until SIGTERM/SIGINT.
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { authConfigFromEnv } from '../../core/auth/tokens.ts';
import { type Pipeline, type PipelineFlags, pipelineConfig, startPipeline } from '../sink/pipeline.ts';
import { type App, startApp } from './app.ts';
import { ConfigError, modelPresent, type ServeConfig } from './config.ts';
import { createQueryApi } from './query/api.ts';
import { queryGrpcImplementation, queryService } from './query/grpc.ts';
import { rateLimitFromEnv } from './query/ratelimit.ts';
import { createWallboard } from './wallboard/wallboard.ts';

export interface Running {
  app: App;
  pipeline: Pipeline | undefined;
  log: Logger;
  stop(): Promise<void>;
}

export async function runServe(
  config: ServeConfig,
  opts: { pipeline: boolean; pipelineFlags?: PipelineFlags; logLevel?: string },
): Promise<Running> {
  const log = pino(
    { level: opts.logLevel ?? process.env.VOICEPULSE_LOG_LEVEL ?? 'info' },
    pino.destination(2),
  );
  if (!modelPresent(config.modelDir))
    throw new ConfigError(
      `no emotion model at ${config.modelDir} (train one with \`voicepulse train\` or pass --model DIR)`,
    );
  const registry = new Registry();
  let pipeline: Pipeline | undefined;
  if (opts.pipeline) {
    try {
      pipeline = await startPipeline(pipelineConfig(opts.pipelineFlags), {
        onError: (err) => log.warn({ err: err.message }, 'pipeline error'),
        registry,
      });
    } catch (err) {
      // Live scoring does not need the analytics store; say so loudly and carry on without it.
      log.error(
        { err: (err as Error).message },
        'analytics pipeline failed to start; serving live scores only',
      );
    }
  }
  // The query API reads what the pipeline stores; the gateway's token is its operator token. REST
  // (/api/) and gRPC (on the gateway's gRPC port) share one rate limiter.
  const queryOptions = pipeline
    ? {
        clickhouse: pipeline.clickhouse,
        auth: { ...authConfigFromEnv(), operatorToken: config.token },
        rateLimit: rateLimitFromEnv(),
        onError: (err: Error) => log.error({ err: err.message }, 'query API error'),
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
  const app = await startApp({
    port: config.port,
    grpcPort: config.grpcPort,
    host: config.host,
    token: config.token,
    tenantTokens: config.tenantTokens,
    modelDir: config.modelDir,
    threads: config.threads,
    streaming: config.streaming,
    limits: config.limits,
    policies: config.policies,
    logger: log,
    registry,
    ...(pipeline ? { bus: pipeline.bus } : {}),
    http: [createWallboard().handle, ...(queryApi ? [queryApi.handle.bind(queryApi)] : [])],
    grpcServices,
  });
  if (queryApi) registry.registerMetric(queryApi.limiter.limited);
  log.info(
    { urls: app.urls, threads: config.threads, model: config.modelDir, pipeline: !!pipeline },
    'voicepulse serving',
  );
  return {
    app,
    pipeline,
    log,
    async stop() {
      await app.stop();
      await pipeline?.stop();
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
      running.log.error({ err: err.message }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
