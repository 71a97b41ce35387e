import type { Command } from 'commander';
import { ConfigError, parseBrokers, parseClickHouseUrl, type Settings } from '../../core/config/env.ts';
import { ModelError } from '../../core/model/format.ts';
import { RuntimeError } from '../../core/model/runtime.ts';
import { busRecordingStore } from '../../core/recordings/store.ts';
import { StreamingConfigError } from '../../core/streaming/config.ts';
import { type ServeConfig, type ServeFlags, serveConfig } from '../../services/live/config.ts';
import { type AnalyticsStarter, runServe, stopOnSignals } from '../../services/live/serve.ts';
import { analyticsConfig, startAnalytics } from '../../services/sink/analytics.ts';
import { clickhouseRecordingStore } from '../../services/sink/recording-store.ts';
import { CliError } from '../errors.ts';
import { flagParser, intOption } from '../flags.ts';

export interface CommonServeOptions extends ServeFlags {
  /** false with --no-pipeline: live scoring only. */
  pipeline: boolean;
}

/** Flags shared by `serve` and `start` (`portDefault`: the port used without --port or VOICEPULSE_PORT). */
export function addServeOptions(cmd: Command, portDefault = '8080'): Command {
  return cmd
    .option(
      '--port <n>',
      `HTTP/WebSocket port (env VOICEPULSE_PORT, default ${portDefault}; 0 = any free port)`,
      intOption('--port', { max: 65_535 }),
    )
    .option('--host <addr>', 'listen address (env VOICEPULSE_HOST, default 0.0.0.0)')
    .option(
      '--threads <n>',
      'scoring threads (env VOICEPULSE_THREADS, default cores - 1, on 2 cores or fewer one per core)',
      intOption('--threads', { max: 1024 }),
    )
    .option(
      '--model <dir>',
      'emotion model directory (env VOICEPULSE_MODEL_DIR, default the committed model)',
    )
    .option('--policies <file>', 'tenant policies JSON (env VOICEPULSE_POLICIES)')
    .option('--max-calls <n>', 'concurrent call limit (default 1000)', intOption('--max-calls'))
    .option(
      '--grpc-port <n>',
      'gRPC port (env VOICEPULSE_GRPC_PORT, default --port + 1)',
      intOption('--grpc-port', { max: 65_535 }),
    )
    .option('--no-pipeline', 'live scoring only: no event bus sink / ClickHouse')
    .option(
      '--kafka <brokers>',
      'Kafka brokers host:port[,…] instead of the in-process bus (env VOICEPULSE_KAFKA_BROKERS)',
      flagParser(parseBrokers, '--kafka'),
    )
    .option(
      '--clickhouse <url>',
      'ClickHouse HTTP URL instead of the embedded store (env VOICEPULSE_CLICKHOUSE_URL)',
      flagParser(parseClickHouseUrl, '--clickhouse'),
    );
}

/** The serve configuration: these flags over the environment's settings. */
export function toConfig(o: CommonServeOptions, settings: Settings) {
  try {
    return serveConfig(o, settings);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 'FAILED', { cause: err });
    throw err;
  }
}

/**
 * The analytics `serve` runs with, composed here because the live service and the sink do not
 * import each other: the bus and ClickHouse, and the sink in this process. On embedded defaults
 * (in-process bus, chdb) the sink must run here; on Kafka it does unless VOICEPULSE_SERVE_SINK=false
 * (standalone sinks do the work). Uploaded recordings go through Kafka when the events do (the sink
 * stores them), else straight into ClickHouse.
 */
export function pipelineFor(config: ServeConfig): AnalyticsStarter {
  const settings = config.pipeline;
  const shared = settings.kafka.brokers !== undefined;
  const analytics = analyticsConfig(settings);
  if (shared && !settings.sink.inServe) analytics.sink = false;
  return async ({ registry, onError }) => {
    const started = await startAnalytics(analytics, { registry, onError });
    return {
      bus: started.bus,
      shared,
      clickhouse: started.clickhouse,
      recordingStore: shared
        ? busRecordingStore(started.bus, started.clickhouse)
        : clickhouseRecordingStore(started.clickhouse),
      stop: () => started.stop(),
    };
  };
}

/** The wallboard's URL for the demo tenant; carries the token only when it was generated (printed anyway). */
export function wallboardLink(urls: Record<string, string>, token: string, generated: boolean): string {
  return `${urls.http}/?tenant=demo${generated ? `&token=${token}` : ''}`;
}

export function printUrls(
  urls: Record<string, string>,
  token: string,
  generated: boolean,
  queryApi: boolean,
): void {
  const lines = [
    'VoicePulse is serving:',
    `  Twilio Media Streams  ${urls.twilio}`,
    `  Genesys AudioHook     ${urls.audiohook}`,
    `  native stream         ${urls.stream}`,
    `  watch (events)        ${urls.watch}?callId=ID | ?tenant=T`,
    `  gRPC                  ${urls.grpc ?? 'not serving'} (StreamCall, WatchAlerts, WatchCall; proto/voicepulse.proto)`,
    `  wallboard             ${wallboardLink(urls, token, generated)}`,
    ...(queryApi
      ? [`  query API (REST)      ${urls.http}/api/ (OpenAPI: ${urls.http}/api/openapi.json)`]
      : []),
    `  metrics               ${urls.metrics}`,
    `  health                ${urls.http}/healthz`,
    generated
      ? `  token (generated; set VOICEPULSE_TOKEN to choose one): ${token}`
      : '  token: from VOICEPULSE_TOKEN',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

export function registerServeCommand(program: Command, settings: Settings): void {
  addServeOptions(
    program
      .command('serve')
      .description(
        'run gateway, scoring workers, alerts and the analytics (bus, sink, query API) in the foreground',
      ),
  ).action(async (o: CommonServeOptions) => {
    const config = toConfig(o, settings);
    let running: Awaited<ReturnType<typeof runServe>>;
    const starting = runServe(config, { analytics: o.pipeline ? pipelineFor(config) : undefined });
    // From now on: a SIGTERM while it starts stops it once it is up.
    stopOnSignals(starting, () => process.exit(0));
    try {
      running = await starting;
    } catch (err) {
      if (
        err instanceof ConfigError ||
        err instanceof RuntimeError ||
        err instanceof ModelError ||
        err instanceof StreamingConfigError ||
        (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      )
        throw new CliError((err as Error).message, 'FAILED', { cause: err });
      throw err;
    }
    printUrls(running.app.urls, config.token, config.tokenGenerated, running.analytics !== undefined);
  });
}
