import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { syntheticCall } from '../../../core/bus/testing/synthetic.ts';
import type { CallSummaryEvent, VoicePulseEvent } from '../../../core/events/schema.ts';
import { ClusterFeed, SUMMARY_GRACE_MS } from './feed.ts';
import { FeedMetrics } from './metrics.ts';
import { type CallLease, LEASE_MS } from './presence.ts';
import { MemoryFeedNetwork } from './testing/memory.ts';

const log = pino({ level: 'silent' });
const T0 = 1_700_000_000_000;

interface Pod {
  id: string;
  feed: ClusterFeed;
  seen: VoicePulseEvent[];
  calls: CallLease[];
  kill(): void;
  metrics: FeedMetrics;
  published: VoicePulseEvent[][];
}

/** The network and its pods, each feed started. */
async function startedPods(...ids: string[]): Promise<[MemoryFeedNetwork, ...Pod[]]> {
  const net = new MemoryFeedNetwork();
  const make = (id: string): Pod => {
    const source = net.source();
    const seen: VoicePulseEvent[] = [];
    const calls: CallLease[] = [];
    const published: VoicePulseEvent[][] = [];
    const metrics = new FeedMetrics(new Registry());
    const feed = new ClusterFeed({
      source,
      podId: id,
      deliver: (e) => seen.push(e),
      publish: async (events) => {
        published.push([...events]);
        net.publish(events);
      },
      presence: () => ({ state: 'serving', calls }),
      log,
      metrics,
    });
    return { id, feed, seen, calls, kill: source.kill, metrics, published };
  };
  const pods = ids.map(make);
  for (const pod of pods) await pod.feed.start();
  return [net, ...pods];
}

/** A call of acme held since T0. */
const lease = (callId: string, agentId: string | null = null, queue: string | null = null): CallLease => ({
  meta: { callId, tenantId: 'acme', agentId, queue },
  startedAtMs: T0,
});

/** Call `c` of 10 s: its first four scores and its summary, published. */
function endCall(net: MemoryFeedNetwork) {
  const call = callOf('c', 10_000);
  net.publish(call.scores.slice(0, 4));
  net.publish([call.summary]);
  return call;
}

const callOf = (callId: string, durationMs = 10_000, tenantId = 'acme') =>
  syntheticCall({
    tenantId,
    callId,
    agentId: 'a',
    queue: 'q',
    startedAtMs: T0,
    durationMs,
    escalation: 0.9,
  });

describe('ClusterFeed', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it("delivers every pod's events to every pod, and measures how late scores arrive", async () => {
    const [net, a, b] = await startedPods('pod-a', 'pod-b');
    const one = callOf('from-a');
    const two = callOf('from-b');
    vi.setSystemTime(T0 + 10_250);
    net.publish(one.scores);
    net.publish(two.scores);
    for (const pod of [a!, b!]) {
      expect(pod.seen.map((e) => e.eventId)).toEqual([...one.scores, ...two.scores].map((e) => e.eventId));
      const delay = await pod.metrics.delay.get();
      expect(delay.values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(one.scores.length * 2);
    }
  });

  it("holds back a call's events produced before its summary, and shows ones produced after (continued elsewhere)", async () => {
    const [net, a] = await startedPods('pod-a');
    const call = endCall(net);
    net.publish(call.scores.slice(4, 5)); // another topic, a little behind: shown before the summary
    await vi.advanceTimersByTimeAsync(SUMMARY_GRACE_MS);
    net.publish(call.scores.slice(5, 7)); // too late: the call has ended on the wallboards
    const later = { ...call.scores[7]!, eventId: 'c:later', producedAtMs: call.summary.producedAtMs + 1 };
    net.publish([later]);
    expect(a!.seen.map((e) => e.eventId)).toEqual([
      ...call.scores.slice(0, 5).map((e) => e.eventId),
      call.summary.eventId,
      'c:later',
    ]);
    expect((await a!.metrics.late.get()).values[0]?.value).toBe(2);
  });

  it("holds back nothing of another tenant's call with the same id: ids are scoped per tenant", async () => {
    const [net, a] = await startedPods('pod-a');
    const acme = callOf('X', 10_000);
    const globex = callOf('X', 10_000, 'globex');
    net.publish(acme.scores);
    net.publish([acme.summary]);
    await vi.advanceTimersByTimeAsync(SUMMARY_GRACE_MS);
    // globex's X started while acme's X was ending: its windows were produced before acme's summary.
    net.publish(globex.scores);
    net.publish([globex.summary]);
    await vi.advanceTimersByTimeAsync(SUMMARY_GRACE_MS);
    const ids = (c: typeof acme) => [...c.scores, c.summary].map((e) => `${e.tenantId}:${e.eventId}`);
    expect(a!.seen.map((e) => `${e.tenantId}:${e.eventId}`)).toEqual([...ids(acme), ...ids(globex)]);
    expect((await a!.metrics.late.get()).values[0]?.value ?? 0).toBe(0);
  });

  it('delivers an acknowledgement of an ended call at once, without reopening the call', async () => {
    const [net, a] = await startedPods('pod-a');
    const call = endCall(net);
    await vi.advanceTimersByTimeAsync(SUMMARY_GRACE_MS);
    const { eventId, tenantId, callId, agentId, queue, schemaVersion, producedAtMs } = call.summary;
    const ack: VoicePulseEvent = {
      schemaVersion,
      eventId: 'ack-1',
      tenantId,
      callId,
      agentId,
      queue,
      producedAtMs: producedAtMs + 60_000,
      type: 'alert_ack',
      alertId: `${eventId}:alert`,
      by: 'Dana',
    };
    net.publish([ack]);
    net.publish(call.scores.slice(4, 5)); // still late: the acknowledgement did not reopen the call
    expect(a!.seen.map((e) => e.eventId).slice(-2)).toEqual([call.summary.eventId, 'ack-1']);
    expect((await a!.metrics.late.get()).values[0]?.value).toBe(1);
  });

  it("ends a dead pod's calls as interrupted, once, within the lease and a beat, on every pod", async () => {
    const [net, a, b, c] = await startedPods('pod-a', 'pod-b', 'pod-c');
    const call = callOf('held-by-a', 20_000);
    a!.calls.push(lease('held-by-a', 'a', 'q'));
    b!.calls.push(lease('held-by-b'));
    await vi.advanceTimersByTimeAsync(3000);
    net.publish(call.scores.slice(0, 10));
    const diedAt = Date.now();
    a!.kill();
    await vi.advanceTimersByTimeAsync(LEASE_MS - 1000);
    expect(b!.published).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    // pod-a is gone: pod-b has the smallest id among the live pods and ends pod-a's call, alone.
    expect(c!.published).toEqual([]);
    expect(b!.published).toHaveLength(1);
    const [summary] = b!.published[0] as CallSummaryEvent[];
    expect(summary).toMatchObject({
      callId: 'held-by-a',
      tenantId: 'acme',
      interrupted: true,
      startedAtMs: T0,
      alerts: 0,
    });
    expect(summary!.endedAtMs).toBeGreaterThanOrEqual(diedAt - 1000);
    expect(summary!.endedAtMs).toBeLessThanOrEqual(diedAt);
    expect(summary!.customer.emotion?.scoredWindows).toBe(5);
    await vi.advanceTimersByTimeAsync(SUMMARY_GRACE_MS);
    for (const p of [b!, c!]) expect(p.seen.at(-1)).toEqual(summary);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(b!.published).toHaveLength(1);
    expect((await b!.metrics.interrupted.get()).values[0]?.value).toBe(1);
  });

  it('leaves the calls of a pod that stopped cleanly, and a call that moved to a live pod, alone', async () => {
    const [, a, b, c] = await startedPods('pod-a', 'pod-b', 'pod-c');
    a!.calls.push(lease('moves'));
    c!.calls.push(lease('ends-cleanly'));
    await vi.advanceTimersByTimeAsync(2000);
    await c!.feed.stop();
    b!.calls.push(lease('moves')); // an AudioHook reconnect: pod-b holds it now
    a!.kill();
    await vi.advanceTimersByTimeAsync(3 * LEASE_MS);
    expect([a!, b!, c!].flatMap((p) => p.published)).toEqual([]);
  });

  it("ends the calls of a pod's previous incarnation (a container restarted under the same pod id)", async () => {
    const [net, a, b] = await startedPods('pod-a', 'pod-b');
    b!.calls.push(lease('lost'));
    await vi.advanceTimersByTimeAsync(2000);
    b!.kill();
    const restarted = new ClusterFeed({
      source: net.source(),
      podId: 'pod-b',
      deliver: () => {},
      publish: async () => {},
      presence: () => ({ state: 'serving', calls: [] }),
      log,
    });
    await restarted.start();
    await vi.advanceTimersByTimeAsync(LEASE_MS + 2000);
    expect(a!.published.flat().map((e) => e.callId)).toEqual(['lost']);
  });
});
