import type { Command } from 'commander';
import {
  ConfigError,
  parseBrokers,
  parseClickHouseUrl,
  parseInteger,
  type Settings,
} from '../../core/config/env.ts';
import { detailOf } from '../../core/errors.ts';
import { ModelError } from '../../core/model/format.ts';
import { RuntimeError } from '../../core/model/runtime.ts';
import { StreamingConfigError } from '../../core/streaming/config.ts';
import { type ServeFlags, serveConfig } from '../../services/live/config.ts';
import { runServe, stopOnSignals } from '../../services/live/serve.ts';
import { CliError } from '../errors.ts';

export interface CommonServeOptions extends ServeFlags {
  /** false with --no-pipeline: live scoring only. */
  pipeline: boolean;
}

/** A flag's value through one of the settings' parsers; a bad one is a usage error naming the flag. */
function flagParser<T>(parse: (name: string, text: string) => T, name: string) {
  return (text: string): T => {
    try {
      return parse(name, text);
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(detailOf(err), 'USAGE', { cause: err });
      throw err;
    }
  };
}

/** An integer flag, parsed like the integer settings. */
export function intOption(name: string, range: { min?: number; max?: number } = {}) {
  return flagParser((n, text) => parseInteger(n, text, range), name);
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
      'scoring threads (env VOICEPULSE_THREADS, default cores - 1)',
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
    try {
      running = await runServe(config, { analytics: o.pipeline });
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
    stopOnSignals(running, () => process.exit(0));
  });
}
