// `npm start` / `voicepulse start`: serve on embedded defaults, then play the two-speaker demo call
// (clients/demo) through the Twilio-format WebSocket at real-time pace, printing each speaker's
// scores and the alerts live; then keep serving, so the wallboard link works, until Ctrl-C / SIGTERM
// (or stop at once with --exit-after-demo).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import WebSocket from 'ws';
import { demoCall } from '../../clients/demo-call.ts';
import { playCall } from '../../clients/players.ts';
import type { Settings } from '../../core/config/env.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { saveModel } from '../../core/model/format.ts';
import { seededModel } from '../../core/model/untrained.ts';
import { modelPresent } from '../../services/live/config.ts';
import { runServe, stopOnSignals } from '../../services/live/serve.ts';
import {
  addServeOptions,
  type CommonServeOptions,
  pipelineFor,
  printUrls,
  toConfig,
  wallboardLink,
} from './serve.ts';

interface StartOptions extends CommonServeOptions {
  exitAfterDemo?: boolean;
  speed: number;
}

const bar = (p: number) => '█'.repeat(Math.round(p * 10)).padEnd(10, '·');

export function formatEvent(e: VoicePulseEvent): string {
  if (e.type === 'score') {
    const top = Object.entries(e.probs).sort((a, b) => b[1] - a[1])[0]!;
    return `  ${(e.windowEndMs / 1000).toFixed(1).padStart(5)} s  ${e.speaker.padEnd(8)} ${top[0].padEnd(7)} ${top[1].toFixed(2)}  angry ${bar(e.probs.angry)}  valence ${e.valence.toFixed(2).padStart(5)}  arousal ${e.arousal.toFixed(2)}  frustration ${bar(e.frustration)} ${e.frustration.toFixed(2)}`;
  }
  if (e.type === 'alert')
    return `  ${(e.atMs / 1000).toFixed(1).padStart(5)} s  ALERT ${e.severity.toUpperCase()} ${e.rule}: ${e.message}`;
  if (e.type === 'alert_ack') return `  alert ${e.alertId} acknowledged by ${e.by}`;
  const c = e.customer.emotion;
  const lines = [
    `  call summary: ${(e.durationMs / 1000).toFixed(1)} s, overtalk ${(e.overtalkMs / 1000).toFixed(1)} s, ${e.alerts} alert(s)`,
    `    customer talk ${(e.customer.talk.talkMs / 1000).toFixed(1)} s; agent talk ${(e.agent.talk.talkMs / 1000).toFixed(1)} s`,
  ];
  if (c)
    lines.push(
      `    customer mix ${Object.entries(c.emotionMix)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}`,
      `    customer valence ${c.startValence.toFixed(2)} → ${c.endValence.toFixed(2)}, frustration ${c.startFrustration.toFixed(2)} → ${c.endFrustration.toFixed(2)} (peak ${c.peakFrustration.toFixed(2)})`,
    );
  lines.push(
    `    agent emotion: ${e.agent.emotion ? 'scored (tenant policy allows)' : 'not inferred (agent emotion scoring is off by default)'}`,
  );
  return lines.join('\n');
}

export function registerStartCommand(program: Command, settings: Settings): void {
  addServeOptions(
    program
      .command('start')
      .description(
        'serve on embedded defaults, play a two-speaker demo call, then keep serving until Ctrl-C',
      ),
    'a free port',
  )
    .option('--exit-after-demo', 'stop serving once the demo call has ended')
    .option('--speed <x>', 'playback speed (1 = real time)', Number, 1)
    .action(async (o: StartOptions) => {
      // A first run must not fail on a busy 8080: any free port unless one is asked for.
      const port = o.port ?? (settings.live.port === undefined ? 0 : undefined);
      const config = toConfig({ ...o, port }, settings);
      if (!modelPresent(config.modelDir)) {
        // The demo still runs before a model is trained, clearly labelled: its scores mean nothing.
        const dir = mkdtempSync(join(tmpdir(), 'voicepulse-untrained-'));
        saveModel(seededModel('demo', 'untrained-demo'), dir);
        process.stdout.write(
          `WARNING: no trained model at ${config.modelDir}; the demo uses an UNTRAINED placeholder model (scores are meaningless).\n`,
        );
        config.modelDir = dir;
      }
      const running = await runServe(config, {
        analytics: o.pipeline ? pipelineFor(config) : undefined,
        logLevel: config.logLevel ?? 'warn',
      });
      printUrls(running.app.urls, config.token, config.tokenGenerated, running.analytics !== undefined);
      const call = await demoCall();
      const callId = `demo-${Date.now()}`;
      const base = running.app.urls.http!.replace('http://', 'ws://');
      process.stdout.write(
        `\nDemo call ${callId}: ${(call.customer.length / 8000).toFixed(1)} s of RAVDESS clips (actor 01 = customer, actor 04 = agent; clients/demo, CC BY-NC-SA 4.0), via ${base}/twilio at ${o.speed}x real time\n\n`,
      );
      const watcher = new WebSocket(`${base}/watch?callId=${callId}`, {
        headers: { authorization: `Bearer ${config.token}` },
      });
      await new Promise((resolve, reject) => {
        watcher.once('open', resolve);
        watcher.once('error', reject);
      });
      let alerts = 0;
      const summary = new Promise<void>((resolve) => {
        watcher.on('message', (data) => {
          const e = JSON.parse(data.toString()) as VoicePulseEvent;
          process.stdout.write(`${formatEvent(e)}\n`);
          if (e.type === 'alert') alerts++;
          if (e.type === 'call_summary') resolve();
        });
      });
      const narration = call.turns.map((t) =>
        setTimeout(
          () =>
            process.stdout.write(
              `  ${(t.atMs / 1000).toFixed(1).padStart(5)} s  ▶ ${t.speaker}: ${t.what}\n`,
            ),
          t.atMs / o.speed,
        ),
      );
      await playCall('twilio', {
        url: base,
        token: config.token,
        callId,
        tenant: 'demo',
        agent: 'agent-007',
        queue: 'billing',
        customer: call.customer,
        agentAudio: call.agent,
        speed: o.speed,
      });
      await Promise.race([summary, new Promise((r) => setTimeout(r, 15_000))]);
      for (const t of narration) clearTimeout(t);
      watcher.close();
      if (o.exitAfterDemo) {
        await running.stop();
        process.stdout.write('\nDemo done; server stopped.\n');
        process.exit(0);
      }
      process.stdout.write(
        `\nDemo done. Still serving: the wallboard shows the call${alerts > 0 ? ` and its ${alerts === 1 ? 'alert' : `${alerts} alerts`}` : ''} at\n  ${wallboardLink(running.app.urls, config.token, config.tokenGenerated)}\nPress Ctrl-C to stop.\n`,
      );
      stopOnSignals(running, () => process.exit(0));
    });
}
