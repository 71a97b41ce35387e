// The cluster-wide live feed of one pod. On a shared bus every event of every pod reaches every pod
// (source.ts), and this pod's watchers (/watch, WatchAlerts, WatchCall) and wallboard history are
// fed from it instead of from the pod's own scoring threads, so any pod shows every call of a
// tenant; the watchers' tenant checks stay where they are (ingress/watch.ts). The single-process
// default keeps the in-process path (app.ts).
// Failover rides on the same stream: the pod announces the calls it holds (presence.ts) and keeps a
// bounded tally of every call it sees (tally.ts); when a pod's lease runs out, the reaper publishes
// an interrupted summary for each call the dead pod held, to the bus, so that every wallboard ends
// the call and the sink stores the summary. A call's summary and its last scores travel on
// different topics, so the summary waits SUMMARY_GRACE_MS before watchers see it; events of the call
// produced before the summary that arrive later still are not shown (the call has ended on the
// wallboards), events produced after it (the call continued on another pod) are, and reopen it.
// Calls are known by tenant and id (callKey): ids are scoped per tenant, so another tenant's call
// under the same id is another call, whose events are neither held back nor tallied with this one's.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { callKey } from '../../../core/calls/meta.ts';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import type { FeedMetrics } from './metrics.ts';
import {
  type CallLease,
  HEARTBEAT_MS,
  type Heartbeat,
  LEASE_MS,
  MAX_CALLS_PER_BEAT,
  type PodState,
  PresenceTable,
} from './presence.ts';
import type { FeedSource } from './source.ts';
import { CallTally } from './tally.ts';

export interface ClusterFeedOptions {
  source: FeedSource;
  podId: string;
  /** Delivers one event of the cluster to this pod's watchers and wallboard history. */
  deliver(event: VoicePulseEvent): void;
  /** Publishes interrupted summaries where every pod and the sink read (the bus). */
  publish(events: readonly VoicePulseEvent[]): Promise<void>;
  /** This pod's state and the calls it holds, for its heartbeat. */
  presence(): { state: Exclude<PodState, 'stopped'>; calls: readonly CallLease[] };
  log: Logger;
  metrics?: FeedMetrics;
  /** Wall clock, ms since the epoch (injected for tests). */
  now?: () => number;
  heartbeatMs?: number;
  leaseMs?: number;
  /** Calls tallied at most (default 100,000); beyond, the longest-known are forgotten. */
  maxTrackedCalls?: number;
}

/** Ended calls remembered (to hold back their late events) at most. */
const MAX_ENDED = 100_000;

/** How long a summary waits for the call's last scores and alerts, which come on other topics. */
export const SUMMARY_GRACE_MS = 300;

export class ClusterFeed {
  readonly incarnation = randomBytes(6).toString('hex');
  private readonly table: PresenceTable;
  /** By callKey, as every map and set of calls here. */
  private readonly tallies = new Map<string, CallTally>();
  /** Call → when its summary was produced, oldest first. */
  private readonly ended = new Map<string, number>();
  /** Calls this pod ended as interrupted, until their summary comes back on the feed. */
  private readonly reaped = new Set<string>();
  /** Summaries waiting out their grace. */
  private readonly pending = new Map<string, { summary: VoicePulseEvent; timer: NodeJS.Timeout }>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ClusterFeedOptions) {
    this.now = o.now ?? Date.now;
    this.table = new PresenceTable({ podId: o.podId, incarnation: this.incarnation }, o.leaseMs ?? LEASE_MS);
  }

  async start(): Promise<void> {
    await this.o.source.start({
      events: (events) => this.receive(events),
      heartbeat: (beat) => this.table.observe(beat, this.now()),
    });
    this.beat();
    this.timer = setInterval(() => this.tick(), this.o.heartbeatMs ?? HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Says this pod stopped (its calls have ended) and stops reading. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const key of [...this.pending.keys()]) this.endCall(key);
    await this.o.source
      .heartbeat(this.heartbeatOf('stopped', []))
      .catch((err: Error) => this.o.log.warn({ err }, 'last heartbeat failed'));
    await this.o.source.stop();
  }

  private receive(events: readonly VoicePulseEvent[]): void {
    const now = this.now();
    for (const e of events) {
      const key = callKey(e);
      if (e.type === 'call_summary') {
        this.tallies.delete(key);
        this.reaped.delete(key);
        clearTimeout(this.pending.get(key)?.timer);
        const timer = setTimeout(() => this.endCall(key), SUMMARY_GRACE_MS);
        timer.unref();
        this.pending.set(key, { summary: e, timer });
        continue;
      }
      // Only scores and alerts are the call's activity; anything else about it (an acknowledgement) just passes.
      if (e.type !== 'score' && e.type !== 'alert') {
        this.o.deliver(e);
        continue;
      }
      const endedAt = this.ended.get(key);
      if (endedAt !== undefined && e.producedAtMs <= endedAt) {
        this.o.metrics?.late.inc();
        continue;
      }
      this.ended.delete(key);
      if (!this.pending.has(key)) this.tally(key).add(e);
      if (e.type === 'score') this.o.metrics?.delay.observe(Math.max(0, now - e.producedAtMs) / 1000);
      this.o.deliver(e);
    }
  }

  /** The call's summary has waited out its grace: watchers see it, the call has ended. */
  private endCall(key: string): void {
    const pending = this.pending.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(key);
    this.ended.delete(key);
    this.ended.set(key, pending.summary.producedAtMs);
    if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.keys().next().value as string);
    this.o.deliver(pending.summary);
  }

  private tally(key: string): CallTally {
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = new CallTally();
      this.tallies.set(key, tally);
      const max = this.o.maxTrackedCalls ?? 100_000;
      if (this.tallies.size > max) this.tallies.delete(this.tallies.keys().next().value as string);
    }
    return tally;
  }

  private tick(): void {
    this.beat();
    this.reap();
    const now = this.now();
    this.o.metrics?.livePods.set(this.table.livePods(now).length);
    this.o.metrics?.trackedCalls.set(this.tallies.size);
  }

  private heartbeatOf(state: PodState, calls: readonly CallLease[]): Heartbeat {
    return {
      podId: this.o.podId,
      incarnation: this.incarnation,
      atMs: this.now(),
      state,
      calls: calls.slice(0, MAX_CALLS_PER_BEAT),
    };
  }

  private beat(): void {
    const { state, calls } = this.o.presence();
    if (calls.length > MAX_CALLS_PER_BEAT)
      this.o.log.warn({ calls: calls.length, listed: MAX_CALLS_PER_BEAT }, 'heartbeat lists only some calls');
    const beat = this.heartbeatOf(state, calls);
    this.table.observe(beat, this.now());
    this.o.source.heartbeat(beat).catch((err: Error) => this.o.log.warn({ err }, 'heartbeat failed'));
  }

  /** Ends the calls of pods whose lease ran out, when this pod is the reaper. */
  private reap(): void {
    const now = this.now();
    if (!this.table.isReaper(now)) return;
    const orphans = this.table.orphans(
      now,
      (key) => this.ended.has(key) || this.pending.has(key) || this.reaped.has(key),
    );
    if (orphans.length === 0) return;
    const summaries = orphans.map(({ lease, lastBeatAtMs }) =>
      (this.tallies.get(callKey(lease.meta)) ?? new CallTally()).interruptedSummary(lease, lastBeatAtMs, now),
    );
    for (const s of summaries) this.reaped.add(callKey(s));
    this.o.log.warn(
      { pods: [...new Set(orphans.map((o) => o.podId))], calls: summaries.map((s) => s.callId) },
      'live pod lost its lease: its calls end as interrupted',
    );
    this.o.publish(summaries).then(
      () => this.o.metrics?.interrupted.inc(summaries.length),
      (err: Error) => {
        // Not published: tried again on the next tick.
        for (const s of summaries) this.reaped.delete(callKey(s));
        this.o.log.error({ err }, 'interrupted summaries not published');
      },
    );
  }
}
