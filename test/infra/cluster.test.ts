// VoicePulse scaled out as separate processes (deploy/local/cluster.sh): Kafka, two ClickHouse
// shards, two `serve --kafka … --clickhouse …` pods and two sinks in one consumer group. `simulate`
// streams calls to both pods while a wallboard watcher listens on pod A. Checked: every call of both
// pods appears on A's feed; either pod's query API returns the same history; after kill -9 of pod B
// and of one sink, B's calls end on A's feed with interrupted summaries within a bound, and every
// message Kafka acknowledged is stored exactly once (raw rows and minute aggregates).
import { type ExecFileException, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AudioHookSession, pcmuFrames } from '../../clients/audiohook-client.ts';
import { demoCall } from '../../clients/demo-call.ts';
import { percentile } from '../../clients/load.ts';
import { TOPICS } from '../../core/bus/bus.ts';
import { connectHttp } from '../../core/clickhouse/client.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { LEASE_MS } from '../../services/live/feed/presence.ts';
import { ROOT } from '../testing/image.ts';
import { requireService } from '../testing/services.ts';

const kafkaService = await requireService('kafka');
const shardService = await requireService('clickhouse-shards');

interface Simulated {
  tenant: string;
  callIds: string[];
  completed: number;
  failed: number;
  scores: number;
  summaries: number;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ stdout: string; stderr: string; code: number }>((resolve) =>
    execFile(
      file,
      args,
      { cwd: ROOT, env, timeout: timeoutMs },
      (err: ExecFileException | null, stdout, stderr) =>
        resolve({ stdout, stderr, code: err ? Number(err.code ?? 1) : 0 }),
    ),
  );
}

(kafkaService && shardService ? describe : describe.skip)('the product scaled out over processes', () => {
  const id = randomUUID().slice(0, 8);
  const dir = mkdtempSync(join(tmpdir(), 'vp-cluster-'));
  const tenant = `floor-${id}`;
  const prefix = `vp-cluster-${id}.`;
  const database = `vp_cluster_${id}`;
  const shardUrls = shardService?.urls ?? [];
  const kafkaPort = Number(kafkaService?.brokers[0]?.split(':').at(-1));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VOICEPULSE_CLUSTER_DIR: dir,
    VOICEPULSE_CLUSTER_PORT_BASE: '18180',
    VOICEPULSE_KAFKA_PORT: String(kafkaPort),
    VOICEPULSE_CLICKHOUSE_SHARD_HTTP_BASE: String(Number(new URL(shardUrls[0] ?? 'http://x:8131').port) - 1),
    VOICEPULSE_KAFKA_TOPIC_PREFIX: prefix,
    VOICEPULSE_CLICKHOUSE_DATABASE: database,
    VOICEPULSE_SINK_GROUP: `vp-cluster-${id}-sink`,
    VOICEPULSE_TOKEN: `cluster-test-${randomUUID()}`,
    VOICEPULSE_DRAIN_SECONDS: '5',
    VOICEPULSE_LOG_LEVEL: 'warn',
    // Admission is checked elsewhere (ingress/capacity, lag); here the pods share 2 cores with the rest
    // of the suite, where a pod's scoring lag can pass its bound and refuse this test's calls (in CI,
    // pod B once answered no AudioHook open for 10 s, then the test waited for B's calls in vain).
    VOICEPULSE_MAX_SCORING_LAG_MS: '0',
    VOICEPULSE_MAX_SCORING_LOAD: '0',
  };
  const script = join(ROOT, 'deploy', 'local', 'cluster.sh');
  let pods: { a: string; b: string };
  const seen: Array<{ event: VoicePulseEvent; atMs: number }> = [];
  let watcher: WebSocket;
  /** Every message Kafka acknowledged on the event topics, by topic: event ids in arrival order. */
  const acknowledged = new Map<string, string[]>();
  const kafka = new Kafka({ brokers: kafkaService?.brokers ?? [], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `vp-cluster-${id}-audit` });

  const simulate = (pod: string, protocol: string, calls: number, speed: number) =>
    run(
      'node',
      [
        join(ROOT, 'bin', 'voicepulse.js'),
        'simulate',
        `--calls=${calls}`,
        `--protocol=${protocol}`,
        `--url=${pod.replace('http://', 'ws://')}`,
        `--tenant=${tenant}`,
        `--speed=${speed}`,
        '--ramp-ms=500',
        '--json',
      ],
      env,
      180_000,
    ).then((r) => {
      const line = r.stdout.trim().split('\n').at(-1) ?? '';
      return {
        code: r.code,
        result: (line.startsWith('{') ? JSON.parse(line) : undefined) as Simulated | undefined,
        r,
      };
    });

  const eventsOf = (callIds: readonly string[]) => {
    const ids = new Set(callIds);
    return seen.filter((s) => ids.has(s.event.callId));
  };
  const waitFor = async (
    what: string | (() => string),
    check: () => boolean | Promise<boolean>,
    ms: number,
  ) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`${typeof what === 'string' ? what : what()}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  /**
   * Streams `frames` (20 ms each, real time) on an AudioHook session to `pod`; stops when the socket
   * drops (returns false) or, with `close`, ends the session with its close transaction.
   */
  const audiohookLeg = async (
    pod: string,
    session: AudioHookSession,
    frames: readonly Uint8Array[],
    continued?: ReturnType<AudioHookSession['continuation']>,
  ): Promise<boolean> => {
    const ws = new WebSocket(`${pod.replace('http://', 'ws://')}/audiohook`, {
      headers: session.headers(env.VOICEPULSE_TOKEN!),
    });
    const types: string[] = [];
    const texts: string[] = [];
    ws.on('message', (data, binary) => {
      if (binary) return;
      texts.push(data.toString());
      types.push(session.received(data.toString()));
    });
    let dropped = false;
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    void closed.then(() => {
      dropped = true;
    });
    ws.once('error', () => {});
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_q, res) =>
        reject(new Error(`audiohook upgrade: HTTP ${res.statusCode}`)),
      );
    });
    ws.send(session.open(continued));
    await waitFor(
      () => `opened (received: ${texts.join(' ') || 'nothing'})`,
      () => types.includes('opened') || types.includes('disconnect'),
      10_000,
    );
    if (!types.includes('opened')) throw new Error(`${pod} refused the AudioHook open: ${texts.join(' ')}`);
    const t0 = performance.now();
    for (const [k, frame] of frames.entries()) {
      const wait = t0 + k * 20 - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (dropped) return false;
      ws.send(frame);
      session.advance(20);
    }
    ws.send(session.close());
    await waitFor('closed', () => types.includes('closed') || dropped, 10_000);
    ws.close();
    await closed;
    return true;
  };

  /** The last lines a process of the cluster logged (its log is in the cluster's folder). */
  const logTail = (name: string) => {
    try {
      return readFileSync(join(dir, `${name}.log`), 'utf8')
        .split('\n')
        .slice(-20)
        .join('\n');
    } catch (err) {
      return String(err);
    }
  };

  const timeline = async (pod: string, callId: string) => {
    const res = await fetch(`${pod}/api/calls/${callId}/timeline?tenant=${tenant}`, {
      headers: { authorization: `Bearer ${env.VOICEPULSE_TOKEN}` },
    });
    const body = (res.status === 200 ? await res.json() : await res.text()) as { summary?: unknown } | string;
    return { status: res.status, body };
  };

  beforeAll(async () => {
    const started = await run(script, ['start'], env, 240_000);
    if (started.code !== 0) throw new Error(`cluster.sh start failed:\n${started.stderr}`);
    const settings = Object.fromEntries(
      [...readFileSync(join(dir, 'cluster.env'), 'utf8').matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    pods = { a: settings.VOICEPULSE_CLUSTER_POD_A!, b: settings.VOICEPULSE_CLUSTER_POD_B! };
    await consumer.connect();
    await consumer.subscribe({ topics: Object.values(TOPICS).map((t) => prefix + t), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const list = acknowledged.get(topic) ?? [];
        acknowledged.set(topic, list);
        list.push(JSON.parse(message.value?.toString() ?? '{}').eventId);
      },
    });
    watcher = new WebSocket(`${pods.a.replace('http://', 'ws://')}/watch?tenant=${tenant}`, {
      headers: { authorization: `Bearer ${env.VOICEPULSE_TOKEN}` },
    });
    watcher.on('message', (data) => seen.push({ event: JSON.parse(data.toString()), atMs: Date.now() }));
    await new Promise((resolve, reject) => {
      watcher.once('open', resolve);
      watcher.once('error', reject);
    });
  }, 300_000);

  afterAll(async () => {
    watcher?.close();
    await consumer.disconnect().catch(() => {});
    const stopped = await run(script, ['stop'], env, 120_000);
    if (stopped.code !== 0) console.warn(`cluster.sh stop: ${stopped.stderr}`);
    for (const url of shardUrls) {
      const ch = await connectHttp({ url, database: 'default' });
      await ch.exec(`DROP DATABASE IF EXISTS ${database}`);
      await ch.close();
    }
    const admin = kafka.admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it("shows every call of both pods on pod A's feed, and both pods' query APIs return the same history", async () => {
    const [onA, onB] = await Promise.all([
      simulate(pods.a, 'native', 2, 4),
      simulate(pods.b, 'audiohook', 2, 4),
    ]);
    for (const s of [onA, onB]) expect(s.result, s.r.stderr).toMatchObject({ completed: 2, failed: 0 });
    const all = [...onA.result!.callIds, ...onB.result!.callIds];
    await waitFor(
      'every summary on pod A',
      () => eventsOf(all).filter((s) => s.event.type === 'call_summary').length === all.length,
      20_000,
    );
    // A's feed carries as many scores of each run as its caller saw (B's: through B's own feed).
    for (const s of [onA.result!, onB.result!])
      expect(eventsOf(s.callIds).filter((e) => e.event.type === 'score').length).toBe(s.scores);
    const fromB = eventsOf(onB.result!.callIds)
      .filter((s) => s.event.type === 'score')
      .map((s) => s.atMs - s.event.producedAtMs);
    console.log(
      `watcher on pod A, scores scored on pod B: ${fromB.length}, p50 ${percentile(fromB, 50)} ms, p99 ${percentile(fromB, 99)} ms`,
    );
    // The ≤ 500 ms target is held where the machine is not also running this test's simulators
    // (services/live/feed/cluster.test.ts, `npm run bench -- cluster`); here a bound that catches a broken feed.
    expect(percentile(fromB, 99)).toBeLessThan(2000);
    // History: the sinks store it, each pod's query API (through its own shard) reads the cluster.
    // Each event type has its topic, so a call's summary can be stored before its last scores: wait
    // for everything the feed carried.
    type Stored = { summary?: unknown; customer?: unknown[]; agent?: unknown[]; alerts?: unknown[] };
    for (const callId of all) {
      const fed = (type: string) => eventsOf([callId]).filter((e) => e.event.type === type).length;
      await waitFor(
        'timeline with its summary, every score and every alert',
        async () => {
          const t = (await timeline(pods.a, callId)).body as Stored;
          const windows = (t.customer?.length ?? 0) + (t.agent?.length ?? 0);
          return t.summary != null && windows === fed('score') && t.alerts?.length === fed('alert');
        },
        30_000,
      );
      const [a, b] = [await timeline(pods.a, callId), await timeline(pods.b, callId)];
      expect(a.status).toBe(200);
      expect(b).toEqual(a);
    }
  }, 240_000);

  it("after kill -9 of pod B and of a sink: B's calls end as interrupted on A, and Kafka's messages are stored exactly once", async () => {
    const onA = simulate(pods.a, 'native', 2, 2);
    const onB = simulate(pods.b, 'native', 2, 1);
    // An AudioHook call on pod B that, when B dies, reconnects to pod A naming its session.
    const demo = await demoCall();
    const frames = pcmuFrames(demo.customer.subarray(0, 20 * 8000), demo.agent.subarray(0, 20 * 8000));
    const conversation = { conversationId: randomUUID(), organizationId: randomUUID(), tenant };
    const first = new AudioHookSession(conversation);
    let resumedAtMs = 0;
    const reconnecting = (async () => {
      if (await audiohookLeg(pods.b, first, frames)) throw new Error('pod B outlived the AudioHook call');
      resumedAtMs = first.position;
      const second = new AudioHookSession(conversation, first.position);
      const rest = frames.slice(first.position / 20);
      expect(await audiohookLeg(pods.a, second, rest, first.continuation())).toBe(true);
    })();
    const streamingOnB = async () => {
      const ready = await fetch(`${pods.b}/readyz`).then(
        (r) => r.json() as Promise<{ activeCalls?: number }>,
      );
      return (ready.activeCalls ?? 0) >= 2;
    };
    await waitFor(
      () => `pod B streaming its calls; its log ends:\n${logTail('pod-b')}`,
      streamingOnB,
      60_000,
    );
    await new Promise((r) => setTimeout(r, 4000));
    const killed = Date.now();
    for (const name of ['pod-b', 'sink-1']) {
      const k = await run(script, ['kill', name], env, 10_000);
      expect(k.code, k.stderr).toBe(0);
    }
    const [a, b] = await Promise.all([onA, onB]);
    await reconnecting;
    expect(a.result).toMatchObject({ completed: 2, failed: 0 });
    expect(b.result?.callIds, b.r.stderr).toHaveLength(2);
    const lost = b.result!.callIds;
    await waitFor(
      "B's calls ended on A",
      () => eventsOf(lost).filter((s) => s.event.type === 'call_summary').length === lost.length,
      LEASE_MS + 15_000,
    );
    const ended = eventsOf(lost).filter((s) => s.event.type === 'call_summary');
    const after = Math.max(...ended.map((s) => s.atMs)) - killed;
    console.log(`pod B killed: its ${lost.length} calls ended on pod A's wallboard after ${after} ms`);
    // Lease (5 s) + the reaper's next beat (1 s) + the summary's trip through Kafka; slack for a busy CI machine.
    expect(after).toBeLessThan(LEASE_MS + 7000);
    for (const s of ended) expect(s.event).toMatchObject({ type: 'call_summary', interrupted: true });
    // The AudioHook call went on on pod A under its conversation id, from where the stream was.
    await waitFor(
      'the continued call ends on A',
      () => eventsOf([conversation.conversationId]).some((s) => s.event.type === 'call_summary'),
      20_000,
    );
    const continuedCall = eventsOf([conversation.conversationId]).map((s) => s.event);
    const final = continuedCall.find((e) => e.type === 'call_summary')!;
    console.log(`AudioHook call resumed on pod A at ${resumedAtMs} ms of its stream`);
    expect(resumedAtMs).toBeGreaterThan(2000);
    expect(final).not.toHaveProperty('interrupted');
    expect((final as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(19_900);
    const windowsBefore = continuedCall.filter(
      (e) => e.type === 'score' && e.windowEndMs <= resumedAtMs,
    ).length;
    const windowsAfter = continuedCall.filter(
      (e) => e.type === 'score' && e.windowStartMs >= resumedAtMs,
    ).length;
    expect(windowsBefore).toBeGreaterThan(0);
    expect(windowsAfter).toBeGreaterThan(0);

    // Exactly once: every message on the event topics is one row (the survivor sink took sink-1's
    // partitions over and skipped what sink-1 had stored but not committed), and each score one window
    // in the minute aggregates.
    const ch = await connectHttp({ url: shardUrls[0]!, database });
    try {
      const tables = {
        [prefix + TOPICS.score]: 'scores',
        [prefix + TOPICS.alert]: 'alerts',
        [prefix + TOPICS.call_summary]: 'call_summaries',
      };
      const stored = async () => {
        const out: Record<string, string[]> = {};
        for (const [topic, table] of Object.entries(tables))
          out[topic] = (await ch.query<{ id: string }>(`SELECT event_id AS id FROM ${table}`))
            .map((r) => r.id)
            .sort();
        return out;
      };
      const want = () =>
        Object.fromEntries(Object.keys(tables).map((t) => [t, [...(acknowledged.get(t) ?? [])].sort()]));
      await waitFor(
        'every acknowledged message stored',
        async () => JSON.stringify(await stored()) === JSON.stringify(want()),
        90_000,
      );
      expect(await stored()).toEqual(want());
      const [row] = await ch.query<{ n: string }>('SELECT countMerge(windows) AS n FROM score_minutes');
      expect(Number(row?.n)).toBe(acknowledged.get(prefix + TOPICS.score)?.length);
      const interrupted = await ch.query<{ id: string }>(
        `SELECT call_id AS id FROM call_summaries FINAL WHERE interrupted = 1 ORDER BY id`,
      );
      expect(interrupted.map((r) => r.id)).toEqual([...lost].sort());
    } finally {
      await ch.close();
    }
    // Pod B back: both pods return the same history for the interrupted calls.
    const restarted = await run(script, ['start'], env, 240_000);
    expect(restarted.code, restarted.stderr).toBe(0);
    for (const callId of lost) {
      const [onPodA, onPodB] = [await timeline(pods.a, callId), await timeline(pods.b, callId)];
      expect(onPodA.status).toBe(200);
      expect(onPodB).toEqual(onPodA);
    }
  }, 300_000);
});
