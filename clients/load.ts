// Load generation: N concurrent two-speaker calls played at real-time pace (or `speed` times
// faster) against a running gateway, with the scores, alerts and summaries they get back and the
// client-observed latency of each score (from the send time of its window's last chunk). Calls of
// one run have ids of their own (`<tenant>-<run>-<n>`; a UUID on AudioHook, whose conversation ids
// are), so runs against several pods at once never collide.
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { VoicePulseEvent } from '../core/events/schema.ts';
import type { TwoSpeakerCall } from './demo-call.ts';
import { CallClosedError, type Protocol, playCall } from './players.ts';

export interface LoadOptions {
  url: string;
  token: string;
  calls: number;
  protocol: Protocol;
  call: TwoSpeakerCall;
  speed?: number;
  /** Starts are spread evenly over this many ms so calls do not hop in lockstep. */
  rampMs?: number;
  /**
   * Where in the conversation each call starts. 'together' (default): every call from its start, so
   * the calls' speakers talk in the same seconds; 'spread': call i of N starts i/N of the way in and
   * wraps around, so speech is spread evenly over time, as independent calls' is.
   */
  phases?: LoadPhases;
  /** Default `sim-<timestamp>`. */
  tenant?: string;
}

export const LOAD_PHASES = ['together', 'spread'] as const;
export type LoadPhases = (typeof LOAD_PHASES)[number];

export interface LoadResult {
  tenant: string;
  /** Ids of the calls played. */
  callIds: string[];
  calls: number;
  completed: number;
  failed: number;
  /** Of the failed: calls the server was reached for but refused or cut (a close code). */
  closedByServer: number;
  scores: number;
  alerts: number;
  summaries: number;
  /** Client-observed score latencies (ms). */
  latenciesMs: number[];
  wallMs: number;
  /** CPU time this process spent over the run (ms): what the load generator itself costs its machine. */
  cpuMs: number;
  errors: string[];
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const speed = o.speed ?? 1;
  const tenant = o.tenant ?? `sim-${Date.now()}`;
  const started = new Map<string, number>();
  const run = randomBytes(3).toString('hex');
  const callIds = Array.from({ length: o.calls }, (_, i) =>
    o.protocol === 'audiohook' ? randomUUID() : `${tenant}-${run}-${i}`,
  );
  const result: LoadResult = {
    tenant,
    callIds,
    calls: o.calls,
    completed: 0,
    failed: 0,
    closedByServer: 0,
    scores: 0,
    alerts: 0,
    summaries: 0,
    latenciesMs: [],
    wallMs: 0,
    cpuMs: 0,
    errors: [],
  };
  const onEvent = (e: VoicePulseEvent) => {
    if (e.type === 'score') {
      result.scores++;
      const t0 = started.get(e.callId);
      // The window's last 20 ms chunk left the client at t0 + (end - 20 ms) / speed.
      if (t0 !== undefined) result.latenciesMs.push(performance.now() - (t0 + (e.windowEndMs - 20) / speed));
    } else if (e.type === 'alert') result.alerts++;
    else result.summaries++;
  };
  // Twilio and AudioHook send nothing back: one tenant-wide watcher sees every call's events.
  let watcher: WebSocket | undefined;
  if (o.protocol === 'twilio' || o.protocol === 'audiohook') {
    watcher = new WebSocket(`${o.url}/watch?tenant=${tenant}`, {
      headers: { authorization: `Bearer ${o.token}` },
    });
    await new Promise((resolve, reject) => {
      watcher!.once('open', resolve);
      watcher!.once('error', reject);
    });
    const ours = new Set(callIds);
    watcher.on('message', (data) => {
      const e = JSON.parse(data.toString()) as VoicePulseEvent;
      if (ours.has(e.callId)) onEvent(e);
    });
  }
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const rampMs = o.rampMs ?? 1000;
  const callMs = Math.max(o.call.customer.length, o.call.agent.length) / 8; // 8 kHz audio
  await Promise.all(
    Array.from({ length: o.calls }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * rampMs) / Math.max(1, o.calls)));
      const callId = callIds[i]!;
      try {
        await playCall(o.protocol, {
          url: o.url,
          token: o.token,
          callId,
          tenant,
          agent: `agent-${i % 50}`,
          queue: 'sim',
          customer: o.call.customer,
          agentAudio: o.call.agent,
          speed,
          phaseMs: o.phases === 'spread' ? (i * callMs) / o.calls : 0,
          onStarted: (t) => started.set(callId, t),
          onMessage: (text) => {
            const m = JSON.parse(text);
            if (m.type === 'score' || m.type === 'alert' || m.type === 'call_summary') onEvent(m);
          },
        });
        result.completed++;
      } catch (err) {
        result.failed++;
        if (err instanceof CallClosedError) result.closedByServer++;
        if (result.errors.length < 10) result.errors.push((err as Error).message);
      }
    }),
  );
  // Let the last summaries arrive on the watcher.
  if (watcher) {
    const until = Date.now() + 10_000;
    while (result.summaries < result.completed && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    watcher.close();
  }
  result.wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  result.cpuMs = (cpu.user + cpu.system) / 1000;
  return result;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
