import type { Command } from 'commander';
import { demoCall } from '../../clients/demo-call.ts';
import { LOAD_PHASES, type LoadPhases, percentile, runLoad } from '../../clients/load.ts';
import { PROTOCOLS, type Protocol } from '../../clients/players.ts';
import type { Settings } from '../../core/config/env.ts';
import { CliError } from '../errors.ts';
import { intOption } from '../flags.ts';

interface SimulateOptions {
  calls: number;
  protocol: string;
  tenant?: string;
  url: string;
  token?: string;
  speed: number;
  rampMs: number;
  phases: string;
  json?: boolean;
}

export function registerSimulateCommand(program: Command, settings: Settings): void {
  program
    .command('simulate')
    .description(
      'stream N concurrent copies of the two-speaker demo call at real-time pace against a gateway',
    )
    .option('--calls <n>', 'concurrent calls', intOption('--calls', { min: 1 }), 10)
    .option('--protocol <p>', PROTOCOLS.join(' | '), 'twilio')
    .option(
      '--tenant <id>',
      'tenant of the calls (default sim-<timestamp>; the wallboard of ?tenant=… shows them)',
    )
    .option('--url <url>', 'server base URL (gRPC: host:port of the gRPC server)', 'ws://127.0.0.1:8080')
    .option('--token <t>', 'bearer token (default: env VOICEPULSE_TOKEN)')
    .option('--speed <x>', 'playback speed (1 = real time)', Number, 1)
    .option('--ramp-ms <ms>', 'spread call starts over this long', intOption('--ramp-ms'), 1000)
    .option(
      '--phases <p>',
      "together: every call from the conversation's start (its speakers talk in the same seconds); spread: call i of N starts i/N of the way in (steady load)",
      'together',
    )
    .option('--json', 'print the result as JSON')
    .action(async (o: SimulateOptions) => {
      if (!(PROTOCOLS as readonly string[]).includes(o.protocol))
        throw new CliError(`--protocol must be one of ${PROTOCOLS.join(', ')}, got '${o.protocol}'`, 'USAGE');
      const protocol = o.protocol as Protocol;
      const tenant = o.tenant ?? `sim-${Date.now()}`;
      if (!/^[\w.:@-]{1,128}$/.test(tenant))
        throw new CliError(`--tenant must be 1-128 letters, digits or . _ : @ -, got '${tenant}'`, 'USAGE');
      if (!(o.speed > 0)) throw new CliError('--speed must be positive', 'USAGE');
      if (!(LOAD_PHASES as readonly string[]).includes(o.phases))
        throw new CliError(`--phases must be one of ${LOAD_PHASES.join(', ')}, got '${o.phases}'`, 'USAGE');
      const token = o.token ?? settings.auth.token;
      if (!token) throw new CliError('give --token or set VOICEPULSE_TOKEN', 'USAGE');
      const call = await demoCall();
      const url = o.url.replace(/\/$/, '');
      if (!o.json) {
        const board =
          protocol === 'grpc' ? '' : ` (wallboard: ${url.replace(/^ws/, 'http')}/?tenant=${tenant})`;
        process.stdout.write(
          `simulating ${o.calls} ${protocol} calls of tenant ${tenant} against ${url}${board}\n`,
        );
      }
      // A closed port or a refused token fails the watcher (or gRPC's channel), or else every call.
      const unreachable = (detail: string) =>
        new CliError(`cannot reach ${url}: ${detail.split('\n')[0]}`, 'UNAVAILABLE');
      const r = await runLoad({
        url,
        token,
        calls: o.calls,
        protocol,
        tenant,
        call,
        speed: o.speed,
        rampMs: o.rampMs,
        phases: o.phases as LoadPhases,
      }).catch((err: unknown) => {
        throw unreachable(err instanceof Error ? err.message : String(err));
      });
      // Calls the server refused or cut (a pod dying mid-call) are failures of a reachable server.
      if (r.completed === 0 && r.closedByServer === 0 && r.errors.length > 0) throw unreachable(r.errors[0]!);
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
            `${r.calls} ${protocol} calls of ${summary.callSeconds.toFixed(1)} s (${call.source} audio) at ${o.speed}x: ${r.completed} completed, ${r.failed} failed`,
            `events: ${r.scores} scores, ${r.alerts} alerts, ${r.summaries} summaries in ${(r.wallMs / 1000).toFixed(1)} s`,
            `client-observed score latency: p50 ${summary.p50Ms.toFixed(0)} ms, p95 ${summary.p95Ms.toFixed(0)} ms, p99 ${summary.p99Ms.toFixed(0)} ms`,
            ...r.errors.map((e) => `error: ${e}`),
            '',
          ].join('\n'),
        );
      if (r.failed > 0) process.exitCode = 1;
    });
}
