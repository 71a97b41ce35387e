import type { Command } from 'commander';
import { demoCall } from '../../clients/demo-call.ts';
import { percentile, runLoad } from '../../clients/load.ts';
import type { Settings } from '../../core/config/env.ts';
import { CliError } from '../errors.ts';
import { intOption } from '../flags.ts';

interface SimulateOptions {
  calls: number;
  protocol: string;
  url: string;
  token?: string;
  speed: number;
  rampMs: number;
  json?: boolean;
}

export function registerSimulateCommand(program: Command, settings: Settings): void {
  program
    .command('simulate')
    .description(
      'stream N concurrent copies of the two-speaker demo call at real-time pace against a gateway',
    )
    .option('--calls <n>', 'concurrent calls', intOption('--calls', { min: 1 }), 10)
    .option('--protocol <p>', 'twilio | native | grpc', 'twilio')
    .option('--url <url>', 'server base URL (gRPC: host:port of the gRPC server)', 'ws://127.0.0.1:8080')
    .option('--token <t>', 'bearer token (default: env VOICEPULSE_TOKEN)')
    .option('--speed <x>', 'playback speed (1 = real time)', Number, 1)
    .option('--ramp-ms <ms>', 'spread call starts over this long', intOption('--ramp-ms'), 1000)
    .option('--json', 'print the result as JSON')
    .action(async (o: SimulateOptions) => {
      if (o.protocol !== 'twilio' && o.protocol !== 'native' && o.protocol !== 'grpc')
        throw new CliError(`--protocol must be twilio, native or grpc, got '${o.protocol}'`, 'USAGE');
      if (!(o.speed > 0)) throw new CliError('--speed must be positive', 'USAGE');
      const token = o.token ?? settings.auth.token;
      if (!token) throw new CliError('give --token or set VOICEPULSE_TOKEN', 'USAGE');
      const call = await demoCall();
      const r = await runLoad({
        url: o.url.replace(/\/$/, ''),
        token,
        calls: o.calls,
        protocol: o.protocol,
        call,
        speed: o.speed,
        rampMs: o.rampMs,
      });
      const summary = {
        ...r,
        latenciesMs: undefined,
        audio: call.source,
        callSeconds: call.customer.length / 8000,
        p50Ms: percentile(r.latenciesMs, 50),
        p95Ms: percentile(r.latenciesMs, 95),
        p99Ms: percentile(r.latenciesMs, 99),
      };
      if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else
        process.stdout.write(
          [
            `${r.calls} ${o.protocol} calls of ${summary.callSeconds.toFixed(1)} s (${call.source} audio) at ${o.speed}x: ${r.completed} completed, ${r.failed} failed`,
            `events: ${r.scores} scores, ${r.alerts} alerts, ${r.summaries} summaries in ${(r.wallMs / 1000).toFixed(1)} s`,
            `client-observed score latency: p50 ${summary.p50Ms.toFixed(0)} ms, p95 ${summary.p95Ms.toFixed(0)} ms, p99 ${summary.p99Ms.toFixed(0)} ms`,
            ...r.errors.map((e) => `error: ${e}`),
            '',
          ].join('\n'),
        );
      if (r.failed > 0) process.exitCode = 1;
    });
}
