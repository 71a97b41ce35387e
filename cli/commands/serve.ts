import type { Command } from 'commander';
import { RuntimeError } from '../../core/model/runtime.ts';
import { ConfigError, type ServeFlags, serveConfig } from '../../services/live/config.ts';
import { runServe, stopOnSignals } from '../../services/live/serve.ts';
import { CliError } from '../errors.ts';

export interface CommonServeOptions extends ServeFlags {
  pipeline: boolean;
  kafka?: string;
  clickhouse?: string;
}

export function intOption(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new CliError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

/** Flags shared by `serve` and `start` (`portDefault`: the port used without --port or VOICEPULSE_PORT). */
export function addServeOptions(cmd: Command, portDefault = '8080'): Command {
  return cmd
    .option(
      '--port <n>',
      `HTTP/WebSocket port (env VOICEPULSE_PORT, default ${portDefault}; 0 = any free port)`,
      intOption('--port'),
    )
    .option('--host <addr>', 'listen address (env VOICEPULSE_HOST, default 0.0.0.0)')
    .option(
      '--threads <n>',
      'scoring threads (env VOICEPULSE_THREADS, default cores - 1)',
      intOption('--threads'),
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
      intOption('--grpc-port'),
    )
    .option('--no-pipeline', 'live scoring only: no event bus sink / ClickHouse')
    .option('--kafka <brokers>', 'Kafka brokers host:port[,…] instead of the in-process bus')
    .option('--clickhouse <url>', 'ClickHouse HTTP URL instead of the embedded store');
}

export function toConfig(o: CommonServeOptions) {
  try {
    return serveConfig({
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.host ? { host: o.host } : {}),
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.model ? { model: o.model } : {}),
      ...(o.policies ? { policies: o.policies } : {}),
      ...(o.maxCalls !== undefined ? { maxCalls: o.maxCalls } : {}),
      ...(o.grpcPort !== undefined ? { grpcPort: o.grpcPort } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
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

export function registerServeCommand(program: Command): void {
  addServeOptions(
    program
      .command('serve')
      .description('run gateway, scoring workers, alerts and the pipeline in the foreground'),
  ).action(async (o: CommonServeOptions) => {
    const config = toConfig(o);
    let running: Awaited<ReturnType<typeof runServe>>;
    try {
      running = await runServe(config, {
        pipeline: o.pipeline,
        pipelineFlags: {
          ...(o.kafka ? { kafka: o.kafka } : {}),
          ...(o.clickhouse ? { clickhouse: o.clickhouse } : {}),
        },
      });
    } catch (err) {
      if (
        err instanceof ConfigError ||
        err instanceof RuntimeError ||
        (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      )
        throw new CliError((err as Error).message);
      throw err;
    }
    printUrls(running.app.urls, config.token, config.tokenGenerated, running.pipeline !== undefined);
    stopOnSignals(running, () => process.exit(0));
  });
}
