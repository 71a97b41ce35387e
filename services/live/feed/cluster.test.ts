// Two live pods in one process on a real Kafka: each with its own bus producer and cluster feed, as
// two `serve --kafka` processes would be. A watcher on pod A sees every call of its tenant from
// both pods, and only its tenant; a pod that stops drains; a pod whose heartbeats stop has its
// calls ended as interrupted. (Separate processes and kill -9: test/infra/cluster.test.ts.)
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoCall, type TwoSpeakerCall } from '../../../clients/demo-call.ts';
import { percentile } from '../../../clients/load.ts';
import { playCall } from '../../../clients/players.ts';
import { TOPICS } from '../../../core/bus/bus.ts';
import { KafkaBus } from '../../../core/bus/kafka.ts';
import type { CallSummaryEvent, VoicePulseEvent } from '../../../core/events/schema.ts';
import { connect, TOKEN, tempModelDir, testApp } from '../../../test/testing/e2e.ts';
import { describeWithService } from '../../../test/testing/services.ts';
import type { App } from '../app.ts';
import { kafkaFeedSource, PRESENCE_TOPIC } from './kafka.ts';
import { LEASE_MS } from './presence.ts';

const ACME = 'acme-tenant-token-7f3a9c2e1b';
const GLOBEX = 'globex-tenant-token-4d8e6f0a2c';

await describeWithService('kafka', 'cluster feed on Kafka (two pods in one process)', ({ brokers }) => {
  const prefix = `vp-feed-${randomUUID().slice(0, 8)}.`;
  const model = tempModelDir();
  const buses: KafkaBus[] = [];
  const apps: App[] = [];
  let call: TwoSpeakerCall;
  let a: App;
  let b: App;

  const pod = async (podId: string, drainMs = 0) => {
    const bus = new KafkaBus({ brokers, topicPrefix: prefix, partitions: 3, logLevel: logLevel.NOTHING });
    await bus.start();
    buses.push(bus);
    const app = await testApp(model.dir, {
      tenantTokens: { acme: ACME, globex: GLOBEX },
      bus,
      drainMs,
      cluster: {
        podId,
        source: kafkaFeedSource({ brokers, topicPrefix: prefix, podId, onError: () => {} }),
      },
    });
    apps.push(app);
    return app;
  };

  const play = (app: App, callId: string, tenant: string, seconds = 12, speed = 2) => {
    const echoed: VoicePulseEvent[] = [];
    const done = playCall('native', {
      url: app.urls.http!.replace('http://', 'ws://'),
      token: TOKEN,
      callId,
      tenant,
      agent: 'agent-1',
      queue: 'billing',
      customer: call.customer.subarray(0, seconds * 8000),
      agentAudio: call.agent.subarray(0, seconds * 8000),
      speed,
      onMessage: (text) => {
        const m = JSON.parse(text);
        if (['score', 'alert', 'call_summary'].includes(m.type)) echoed.push(m);
      },
    });
    return { echoed, done };
  };

  beforeAll(async () => {
    call = await demoCall();
    a = await pod('pod-a');
    b = await pod('pod-b');
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await Promise.all(buses.map((b) => b.close()));
    model.remove();
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
  });

  it("shows every call of the tenant from both pods on one pod's watcher, only that tenant's, and promptly", async () => {
    const http = (app: App) => app.urls.http!.replace('http://', 'ws://');
    const acmeOnA = connect(`${http(a)}/watch?tenant=acme`, { authorization: `Bearer ${ACME}` });
    const globexOnA = connect(`${http(a)}/watch?tenant=globex`, { authorization: `Bearer ${GLOBEX}` });
    const arrival = new Map<string, number>();
    acmeOnA.ws.on('message', (data) => arrival.set(JSON.parse(data.toString()).eventId, Date.now()));
    await Promise.all([acmeOnA.opened, globexOnA.opened]);
    const calls = [
      play(b, 'acme-on-b-1', 'acme'),
      play(b, 'acme-on-b-2', 'acme'),
      play(a, 'acme-on-a', 'acme'),
      play(b, 'globex-on-b', 'globex'),
    ];
    await Promise.all(calls.map((c) => c.done));
    const ids = (events: readonly VoicePulseEvent[]) => events.map((e) => e.eventId).sort();
    const acme = calls.slice(0, 3).flatMap((c) => c.echoed);
    expect(acme.filter((e) => e.type === 'call_summary')).toHaveLength(3);
    const summaryOf = (callId: string) => (m: unknown) =>
      (m as { type?: string }).type === 'call_summary' && (m as { callId?: string }).callId === callId;
    for (const id of ['acme-on-b-1', 'acme-on-b-2', 'acme-on-a']) await acmeOnA.waitFor(summaryOf(id));
    await globexOnA.waitFor(summaryOf('globex-on-b'));
    expect(ids(acmeOnA.events())).toEqual(ids(acme));
    expect(ids(globexOnA.events())).toEqual(ids(calls[3]!.echoed));
    // Latency from a window's score (its production on pod B) to the watcher on pod A.
    const fromB = acmeOnA
      .events()
      .filter((e) => e.type === 'score' && e.callId.startsWith('acme-on-b'))
      .map((e) => arrival.get(e.eventId)! - e.producedAtMs);
    const [p50, p99] = [percentile(fromB, 50), percentile(fromB, 99)];
    console.log(`watcher on pod A, scores of pod B: ${fromB.length} scores, p50 ${p50} ms, p99 ${p99} ms`);
    expect(fromB.length).toBeGreaterThan(10);
    // The 500 ms target is measured and printed by `npm run bench -- cluster` on a quiet machine;
    // here the suite shares two cores with itself, so the bound only catches a feed that stalls.
    expect(p99).toBeLessThanOrEqual(2000);
  });

  it('drains on stop: not ready, new calls refused with 1013 draining, the open call ends on its own', async () => {
    const c = await pod('pod-c', 20_000);
    const open = play(c, 'drained-call', 'acme', 8, 1);
    await new Promise((r) => setTimeout(r, 2000));
    const stopped = c.stop();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    const ready = await fetch(`${c.urls.http}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, draining: true, activeCalls: 1 });
    const late = connect(`${c.urls.http!.replace('http://', 'ws://')}/stream`);
    await late.opened;
    late.ws.send(
      JSON.stringify({
        type: 'start',
        callId: 'too-late',
        tenant: 'acme',
        codec: 'pcm16',
        sampleRate: 8000,
        channels: ['customer', 'agent'],
      }),
    );
    expect(await late.closed).toEqual({ code: 1013, reason: 'draining' });
    await open.done;
    await stopped;
    const summary = open.echoed.find((e) => e.type === 'call_summary') as CallSummaryEvent | undefined;
    expect(summary?.interrupted).toBeUndefined();
    expect(summary!.durationMs).toBeGreaterThanOrEqual(7900);
    // Stopped when the call ended, not at the 20 s drain deadline.
    expect(Date.now() - t0).toBeLessThan(12_000);
  });

  it("ends the calls of a pod whose heartbeats stop with an interrupted summary on every pod's watchers", async () => {
    const watcher = connect(`${a.urls.http!.replace('http://', 'ws://')}/watch?tenant=acme`);
    await watcher.opened;
    // A pod that announces one call, streams a few of its scores, then falls silent (as kill -9 would).
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const meta = { callId: 'orphan-1', tenantId: 'acme', agentId: 'agent-7', queue: 'billing' };
    const startedAtMs = Date.now() - 5000;
    const beat = (atMs: number) => ({
      podId: 'pod-0-dead',
      incarnation: 'x1',
      atMs,
      state: 'serving',
      calls: [{ meta, startedAtMs }],
    });
    for (let i = 0; i < 3; i++) {
      await producer.send({
        topic: prefix + PRESENCE_TOPIC,
        messages: [{ key: 'pod-0-dead', value: JSON.stringify(beat(Date.now())) }],
      });
      await new Promise((r) => setTimeout(r, 500));
    }
    const score = {
      schemaVersion: 1,
      eventId: 'orphan-1:customer:0-2000',
      ...meta,
      producedAtMs: Date.now(),
      type: 'score',
      speaker: 'customer',
      windowStartMs: 0,
      windowEndMs: 2000,
      probs: { angry: 0.7, disgust: 0.05, fear: 0.05, happy: 0.05, neutral: 0.1, sad: 0.05 },
      valence: -0.6,
      arousal: 0.8,
      frustration: 0.7,
      speechRatio: 0.9,
      modelVersion: 'm1',
    };
    await producer.send({
      topic: prefix + TOPICS.score,
      messages: [{ key: meta.callId, value: JSON.stringify(score) }],
    });
    const silentSince = Date.now();
    await producer.disconnect();
    const summary = (await watcher.waitFor(
      (m) =>
        (m as { callId?: string }).callId === 'orphan-1' && (m as { type?: string }).type === 'call_summary',
      LEASE_MS + 10_000,
    )) as CallSummaryEvent;
    const after = Date.now() - silentSince;
    console.log(`interrupted summary on the wallboard ${after} ms after the pod's last heartbeat`);
    expect(after).toBeLessThan(LEASE_MS + 3000);
    expect(summary).toMatchObject({
      callId: 'orphan-1',
      interrupted: true,
      startedAtMs,
      customer: { emotion: { scoredWindows: 1, peakFrustration: 0.7 } },
    });
    expect(watcher.events().flatMap((e) => (e.callId === 'orphan-1' ? [e.eventId] : []))).toEqual([
      'orphan-1:customer:0-2000',
      'orphan-1:summary',
    ]);
  });
});
