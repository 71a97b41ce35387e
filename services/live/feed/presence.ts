// Who holds which call across the live pods. Every pod on a shared bus sends a heartbeat every
// HEARTBEAT_MS on the presence topic: its id, its state and the calls it holds (from admission until
// their summary is out). A pod whose heartbeats stop for LEASE_MS has lost its lease; its calls that
// no live pod holds now are orphans, which the reaper ends (feed.ts). The reaper is the live pod with
// the smallest id, so every pod comes to the same answer from the same heartbeats without talking
// to the others; if it dies too, the next one takes over after its own lease runs out.
// Leases are timed by when a heartbeat arrived here, never by the sender's clock, so clock skew
// between hosts cannot make a live pod look dead. A pod is known by its id and incarnation (random
// per process start): a container restarted under the same pod name is a new incarnation, and the
// calls of the old one become orphans once its lease runs out.
import { z } from 'zod';
import { callKey, callMetaSchema, idSchema } from '../../../core/calls/meta.ts';

/** How often a pod says it is alive. */
export const HEARTBEAT_MS = 1000;
/** How long without a heartbeat before a pod's calls are orphans: several missed beats, not one slow one. */
export const LEASE_MS = 5000;
/** A dead pod is forgotten after this long, orphans handled or not (its record is bounded in time). */
export const FORGET_MS = 60_000;
/** Calls one heartbeat lists (a heartbeat stays well below Kafka's 1 MiB message limit). */
export const MAX_CALLS_PER_BEAT = 5000;

export const POD_STATES = ['serving', 'draining', 'stopped'] as const;
export type PodState = (typeof POD_STATES)[number];

export const callLeaseSchema = z.strictObject({
  meta: callMetaSchema,
  startedAtMs: z.number().int().nonnegative(),
});
/** A call a pod holds: who it is and when it started there. */
export type CallLease = z.infer<typeof callLeaseSchema>;

export const heartbeatSchema = z.strictObject({
  podId: idSchema,
  incarnation: idSchema,
  /** The sender's wall clock (ms since the epoch): what an interrupted summary reports as the end. */
  atMs: z.number().int().nonnegative(),
  /** 'stopped': the pod shut down cleanly (its calls ended with summaries); forget it at once. */
  state: z.enum(POD_STATES),
  calls: z.array(callLeaseSchema).max(MAX_CALLS_PER_BEAT),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** A call whose pod lost its lease and that no live pod holds. */
export interface Orphan {
  lease: CallLease;
  podId: string;
  incarnation: string;
  /** The dead pod's last heartbeat time (its clock): the call was last known alive then. */
  lastBeatAtMs: number;
}

interface PodRecord {
  beat: Heartbeat;
  /** Local time the latest heartbeat arrived. */
  seenAtMs: number;
}

const keyOf = (b: Pick<Heartbeat, 'podId' | 'incarnation'>) => `${b.podId}/${b.incarnation}`;

export class PresenceTable {
  /** By pod id and incarnation. */
  private readonly pods = new Map<string, PodRecord>();
  private readonly selfKey: string;

  constructor(
    private readonly self: Pick<Heartbeat, 'podId' | 'incarnation'>,
    private readonly leaseMs = LEASE_MS,
    private readonly forgetMs = FORGET_MS,
  ) {
    this.selfKey = keyOf(self);
  }

  /** Records a heartbeat (this pod's own too) that arrived at local time `nowMs`. */
  observe(beat: Heartbeat, nowMs: number): void {
    if (beat.state === 'stopped') this.pods.delete(keyOf(beat));
    else this.pods.set(keyOf(beat), { beat, seenAtMs: nowMs });
  }

  /** Pods whose lease holds at `nowMs`, this one included, in id order. */
  livePods(nowMs: number): string[] {
    const live = new Set([this.self.podId]);
    for (const pod of this.pods.values()) if (this.alive(pod, nowMs)) live.add(pod.beat.podId);
    return [...live].sort();
  }

  /** Whether this pod ends the orphans: the smallest id among the live pods. */
  isReaper(nowMs: number): boolean {
    return this.livePods(nowMs)[0] === this.self.podId;
  }

  /**
   * The orphans at `nowMs`, except calls `ended` says are over (their summary was seen; calls by
   * callKey). A dead pod with no orphans left, or dead for longer than the forget time, is dropped here.
   */
  orphans(nowMs: number, ended: (key: string) => boolean): Orphan[] {
    const held = new Set<string>();
    for (const pod of this.pods.values())
      if (this.alive(pod, nowMs)) for (const c of pod.beat.calls) held.add(callKey(c.meta));
    const out: Orphan[] = [];
    for (const [key, pod] of this.pods) {
      if (key === this.selfKey || this.alive(pod, nowMs)) continue;
      const left = pod.beat.calls.filter((c) => !held.has(callKey(c.meta)) && !ended(callKey(c.meta)));
      if (left.length === 0 || nowMs - pod.seenAtMs > this.forgetMs) {
        this.pods.delete(key);
        continue;
      }
      const { podId, incarnation, atMs } = pod.beat;
      for (const lease of left) out.push({ lease, podId, incarnation, lastBeatAtMs: atMs });
    }
    return out;
  }

  private alive(pod: PodRecord, nowMs: number): boolean {
    return nowMs - pod.seenAtMs <= this.leaseMs;
  }
}
