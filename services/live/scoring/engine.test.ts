import { describe, expect, it } from 'vitest';
import { type CallSummaryEvent, parseEvent, type ScoreEvent } from '../../../core/events/schema.ts';
import type { StreamWindow } from '../../../core/model/runner.ts';
import { openRunner } from '../../../core/model/runner.ts';
import { seededModel } from '../../../core/model/testing/tdnn.ts';
import { ManualClock } from '../../../core/streaming/clock.ts';
import { streamingConfig } from '../../../core/streaming/config.ts';
import { concat, randomChunks, silence, voiced } from '../../../core/streaming/testing/synthetic.ts';
import { DEFAULT_POLICY, type TenantPolicy } from '../../../core/tenancy/policy.ts';
import {
  type EngineOptions,
  type EngineOutput,
  EXPLAIN_WITHIN_MS,
  ScoringEngine,
  ScoringError,
} from './engine.ts';
import { runnerScorer, type Scorer } from './scorer.ts';

const config = streamingConfig();
const meta = (callId: string) => ({ callId, tenantId: 't1', agentId: 'a1', queue: 'q1' });

/** Wraps a scorer to record every window it is asked to score. */
function spy(inner: Scorer) {
  const seen: StreamWindow[] = [];
  const batches: number[] = [];
  const scorer: Scorer = {
    modelVersion: inner.modelVersion,
    scoreWindows(ws) {
      seen.push(...ws);
      batches.push(ws.length);
      return inner.scoreWindows(ws);
    },
  };
  return { scorer, seen, batches };
}

function engine(scorer: Scorer, options: Partial<EngineOptions> = {}) {
  const out: EngineOutput[] = [];
  const clock = new ManualClock(1_700_000_000_000);
  const e = new ScoringEngine({ scorer, config, clock, emit: (o) => out.push(...o), ...options });
  return { e, out, clock, events: () => out.map((o) => parseEvent(o.event)) };
}

const scorer = runnerScorer(await openRunner(seededModel('engine')));
const customer = concat(
  voiced(4000, { f0: 180 }),
  silence(2000),
  voiced(3000, { f0: 220, amplitude: 0.5, seed: 2 }),
);
const agent = concat(silence(3000), voiced(5000, { f0: 110, seed: 5 }));

/** Plays the chunks into a call, all arriving at `arrivedAtMs` (by default long before the engine's clock). */
async function play(
  e: ScoringEngine,
  instance: number,
  chunks: { customer: Float32Array[]; agent: Float32Array[] },
  arrivedAtMs = 0,
) {
  const n = Math.max(chunks.customer.length, chunks.agent.length);
  for (let i = 0; i < n; i++) {
    const c = chunks.customer[i];
    const a = chunks.agent[i];
    if (c) e.pushAudio(instance, 'customer', c, arrivedAtMs);
    if (a) e.pushAudio(instance, 'agent', a, arrivedAtMs);
  }
  e.endCall(instance, arrivedAtMs);
  await e.drain();
}

/**
 * Numbers as "equal to 6 decimals": the runtime's batched matrix products round differently with batch
 * size (last bits of float32), and batches depend on timing; everything else must match exactly.
 */
const approx = (x: unknown): unknown =>
  typeof x === 'number'
    ? expect.closeTo(x, 6)
    : Array.isArray(x)
      ? x.map(approx)
      : x !== null && typeof x === 'object'
        ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, approx(v)]))
        : x;

const scores = (evs: ReturnType<ReturnType<typeof engine>['events']>) =>
  evs.filter((x): x is ScoreEvent => x.type === 'score').map(({ producedAtMs: _, ...rest }) => rest);

describe('ScoringEngine', () => {
  it('gives the same scores whatever the chunking', async () => {
    const whole = engine(scorer);
    whole.e.startCall(1, meta('c1'), DEFAULT_POLICY);
    await play(whole.e, 1, { customer: [customer], agent: [agent] });
    const reference = scores(whole.events());
    expect(reference.length).toBe(7);
    for (const [max, seed] of [
      [160, 1],
      [1234, 2],
    ] as const) {
      const chunked = engine(scorer);
      chunked.e.startCall(1, meta('c1'), DEFAULT_POLICY);
      await play(chunked.e, 1, {
        customer: randomChunks(customer, max, seed),
        agent: randomChunks(agent, max, seed + 9),
      });
      expect(scores(chunked.events())).toEqual(approx(reference));
    }
  });

  it("puts the call's customer id on every event, and none when the start gave none", async () => {
    const { e, events } = engine(scorer);
    e.startCall(1, { ...meta('c1'), customerId: '+15551230000' }, DEFAULT_POLICY);
    e.startCall(2, meta('c2'), DEFAULT_POLICY);
    await play(e, 1, { customer: [customer], agent: [] });
    await play(e, 2, { customer: [customer], agent: [] });
    const evs = events();
    const of = (callId: string) => evs.filter((x) => x.callId === callId);
    expect(of('c1').length).toBeGreaterThan(1);
    expect(of('c1').every((x) => x.customerId === '+15551230000')).toBe(true);
    expect(of('c2').some((x) => 'customerId' in x)).toBe(false);
  });

  it('puts an explanation on each full-length score from an explaining scorer, offset to the call, and none otherwise', async () => {
    const runner = await openRunner(seededModel('engine'));
    const run = async (explaining: Scorer) => {
      const { e, events, clock } = engine(explaining);
      e.startCall(1, meta('c1'), DEFAULT_POLICY);
      await play(e, 1, { customer: [customer], agent: [silence(customer.length)] }, clock.now());
      return scores(events());
    };
    const plain = await run(runnerScorer(runner));
    const explained = await run(runnerScorer(runner, true));
    expect(plain.length).toBeGreaterThan(3);
    expect(plain.some((x) => 'explanation' in x)).toBe(false);
    // Same scores: explaining changes nothing else.
    expect(explained.map(({ explanation: _, ...rest }) => rest)).toEqual(plain);
    for (const x of explained) {
      const e = x.explanation!;
      expect(e.emotion).toBe(Object.entries(x.probs).reduce((a, b) => (b[1] > a[1] ? b : a))[0]);
      expect(e.segments).toHaveLength(10);
      expect(e.segments[0]!.startMs).toBe(x.windowStartMs);
      expect(e.segments.at(-1)!.endMs).toBe(x.windowEndMs);
      for (let k = 1; k < e.segments.length; k++)
        expect(e.segments[k]!.startMs).toBe(e.segments[k - 1]!.endMs);
    }
    await runner.release();
  });

  it('skips the explanations of a batch that starts late, to catch up, and says so', async () => {
    const runner = await openRunner(seededModel('engine'));
    const run = async (lateByMs: number, options: Partial<EngineOptions> = {}) => {
      const batches: boolean[] = [];
      const { e, events, clock } = engine(runnerScorer(runner, true), {
        ...options,
        onBatch: (_n, _ms, unexplained) => batches.push(unexplained),
      });
      e.startCall(1, meta('c1'), DEFAULT_POLICY);
      await play(e, 1, { customer: [customer], agent: [silence(customer.length)] }, clock.now() - lateByMs);
      return { scored: scores(events()), batches };
    };
    const onTime = await run(EXPLAIN_WITHIN_MS);
    const late = await run(EXPLAIN_WITHIN_MS + 1);
    expect(onTime.scored.every((x) => x.explanation !== undefined)).toBe(true);
    expect(onTime.batches.every((u) => !u)).toBe(true);
    expect(late.scored.some((x) => 'explanation' in x)).toBe(false);
    expect(late.batches.length).toBeGreaterThan(0);
    expect(late.batches.every((u) => u)).toBe(true);
    // The same scores either way; and a thread told to always explain does, however late.
    expect(late.scored).toEqual(approx(onTime.scored.map(({ explanation: _, ...rest }) => rest)));
    const always = await run(60_000, { explainWithinMs: Number.POSITIVE_INFINITY });
    expect(always.scored.every((x) => x.explanation !== undefined)).toBe(true);
    await runner.release();
  });

  it('never calls the model on agent audio when the tenant has agent scoring off', async () => {
    const s = spy(scorer);
    const { e, events } = engine(s.scorer);
    e.startCall(1, meta('c1'), DEFAULT_POLICY);
    await play(e, 1, { customer: [silence(8000)], agent: [agent] });
    expect(s.seen.length).toBe(0);
    const evs = events();
    expect(evs.some((x) => x.type === 'score')).toBe(false);
    const summary = evs.find((x): x is CallSummaryEvent => x.type === 'call_summary')!;
    expect(summary.agent.emotion).toBeNull();
    expect(summary.agent.talk.talkMs).toBeGreaterThan(4000);
    expect(summary.customer.emotion).toBeNull();
  });

  it('scores the agent only where the tenant allows it', async () => {
    const s = spy(scorer);
    const { e, events } = engine(s.scorer);
    const allow: TenantPolicy = { ...DEFAULT_POLICY, agentEmotionScoring: true };
    e.startCall(1, meta('c1'), allow);
    await play(e, 1, { customer: [customer], agent: [agent] });
    const evs = events();
    expect(evs.filter((x) => x.type === 'score' && x.speaker === 'agent').length).toBeGreaterThan(0);
    const summary = evs.find((x): x is CallSummaryEvent => x.type === 'call_summary')!;
    expect(summary.agent.emotion?.scoredWindows).toBeGreaterThan(0);
  });

  it('reports talk, overtalk and the summary after the last score', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const { e, events } = engine(scorer, { clock });
    e.startCall(1, meta('c1'), DEFAULT_POLICY);
    clock.advance(9000);
    await play(e, 1, { customer: [customer], agent: [agent] });
    const evs = events();
    expect(evs.at(-1)!.type).toBe('call_summary');
    const summary = evs.at(-1) as CallSummaryEvent;
    expect(summary.durationMs).toBe(9000);
    expect([summary.startedAtMs, summary.endedAtMs]).toEqual([1_700_000_000_000, 1_700_000_009_000]);
    expect(evs.every((x) => x.producedAtMs === 1_700_000_009_000)).toBe(true);
    // customer speaks 0-4 s and 6-9 s, agent 3-8 s: about 3 s of overtalk
    expect(summary.overtalkMs).toBeGreaterThan(2500);
    expect(summary.overtalkMs).toBeLessThan(3500);
    expect(summary.customer.emotion!.scoredWindows).toBe(7);
  });

  it('fills batches round-robin so a busy call cannot starve another', async () => {
    const s = spy(scorer);
    const { e, out } = engine(s.scorer, { clock: new ManualClock(0), maxBatch: 4 });
    e.startCall(1, meta('busy'), DEFAULT_POLICY);
    e.startCall(2, meta('quiet'), DEFAULT_POLICY);
    e.pushAudio(1, 'customer', voiced(30_000), 0);
    e.pushAudio(2, 'customer', voiced(2000), 0);
    await e.drain();
    const firstBatch = out.slice(0, 4).map((o) => o.event.callId);
    expect(firstBatch).toContain('quiet');
    expect(s.batches.every((b) => b <= 4)).toBe(true);
  });

  it("bounds each call's backlog, dropping its oldest windows", async () => {
    const dropped: number[] = [];
    const { e, out } = engine(scorer, {
      clock: new ManualClock(0),
      maxPendingPerCall: 5,
      onDropped: (_id, n) => dropped.push(n),
    });
    e.startCall(1, meta('c1'), DEFAULT_POLICY);
    e.pushAudio(1, 'customer', voiced(12_000), 0);
    await e.drain();
    // 11 windows (ends 2..12 s) were ready at once; the 6 oldest were dropped.
    expect(dropped).toEqual([6]);
    expect(out.map((o) => (o.event.type === 'score' ? o.event.windowEndMs : -1))).toEqual([
      8000, 9000, 10000, 11000, 12000,
    ]);
  });

  it('scores one batch at a time with a slow scorer, each call in order, as a fast scorer does', async () => {
    let active = 0;
    let maxActive = 0;
    const slow: Scorer = {
      modelVersion: scorer.modelVersion,
      async scoreWindows(ws) {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 4));
        const probs = await scorer.scoreWindows(ws);
        active--;
        return probs;
      },
    };
    const ids = ['a', 'b', 'c'];
    // Chunks of up to 1 s: each round of pushes readies more windows than one batch of 2 takes.
    const audio = (id: string) => randomChunks(voiced(9000, { seed: ids.indexOf(id) + 1 }), 8000, 7);
    const run = async (s: Scorer, waitMs: number) => {
      const { e, events } = engine(s, { maxBatch: 2 });
      for (const [k, id] of ids.entries()) e.startCall(k, meta(id), DEFAULT_POLICY);
      const chunks = ids.map(audio);
      for (let i = 0; i < Math.max(...chunks.map((c) => c.length)); i++) {
        for (const k of ids.keys()) {
          const c = chunks[k]![i];
          if (c) e.pushAudio(k, 'customer', c, 0);
        }
        // Audio keeps arriving while batches are in flight.
        if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      }
      for (const k of ids.keys()) e.endCall(k, 0);
      await e.drain();
      return events();
    };
    const reference = await run(scorer, 0);
    const evs = await run(slow, 3);
    expect(maxActive).toBe(1);
    for (const id of ids) {
      const mine = (x: typeof evs) => x.filter((v) => v.callId === id);
      expect(scores(mine(evs))).toEqual(approx(scores(mine(reference))));
      expect(scores(mine(evs)).length).toBeGreaterThan(3);
      expect(mine(evs).at(-1)!.type).toBe('call_summary');
    }
  });

  it('rejects drain when scoring fails and scores the next batch afterwards', async () => {
    let fail = true;
    const flaky: Scorer = {
      modelVersion: scorer.modelVersion,
      async scoreWindows(ws) {
        if (fail) throw new Error('runtime failed');
        return scorer.scoreWindows(ws);
      },
    };
    const { e, events } = engine(flaky);
    e.startCall(1, meta('c1'), DEFAULT_POLICY);
    e.pushAudio(1, 'customer', voiced(2000), 0);
    await expect(e.drain()).rejects.toThrow('runtime failed');
    fail = false;
    e.pushAudio(1, 'customer', voiced(1000, { seed: 2 }), 0);
    await e.drain();
    expect(scores(events()).map((x) => x.windowEndMs)).toEqual([3000]);
  });

  it('keeps two calls with one id apart: each instance its own windows, events and summary', async () => {
    const { e, out } = engine(scorer);
    e.startCall(1, { ...meta('X'), tenantId: 'acme' }, DEFAULT_POLICY);
    e.startCall(2, { ...meta('X'), tenantId: 'globex' }, DEFAULT_POLICY);
    e.pushAudio(1, 'customer', voiced(5000), 0);
    e.pushAudio(2, 'customer', voiced(3000, { seed: 3 }), 0);
    e.endCall(1, 0);
    e.endCall(2, 0);
    await e.drain();
    const of = (instance: number) => out.filter((o) => o.instance === instance).map((o) => o.event);
    expect(new Set(of(1).map((x) => x.tenantId))).toEqual(new Set(['acme']));
    expect(new Set(of(2).map((x) => x.tenantId))).toEqual(new Set(['globex']));
    const ends = (instance: number) =>
      of(instance).flatMap((x) => (x.type === 'score' ? [x.windowEndMs] : []));
    expect(ends(1)).toEqual([2000, 3000, 4000, 5000]);
    expect(ends(2)).toEqual([2000, 3000]);
    expect(of(1).at(-1)).toMatchObject({ type: 'call_summary', durationMs: 5000 });
    expect(of(2).at(-1)).toMatchObject({ type: 'call_summary', durationMs: 3000 });
  });

  it('reports each batch it scores: its windows and the time they took on its clock', async () => {
    const clock = new ManualClock(0);
    const slow: Scorer = {
      modelVersion: scorer.modelVersion,
      async scoreWindows(ws) {
        clock.advance(15 * ws.length);
        return scorer.scoreWindows(ws);
      },
    };
    const batches: Array<[number, number]> = [];
    const { e } = engine(slow, {
      clock,
      maxBatch: 4,
      onBatch: (windows, busyMs) => batches.push([windows, busyMs]),
    });
    e.startCall(1, meta('c1'), DEFAULT_POLICY);
    e.startCall(2, meta('c2'), DEFAULT_POLICY);
    e.pushAudio(1, 'customer', voiced(5000), 0);
    e.pushAudio(2, 'customer', voiced(3000, { seed: 2 }), 0);
    await e.drain();
    expect(batches).toEqual([
      [4, 60],
      [2, 30],
    ]);
  });

  it('rejects audio for a call it does not know', () => {
    const { e } = engine(scorer);
    expect(() => e.pushAudio(99, 'customer', voiced(100), 0)).toThrow(ScoringError);
    expect(() => e.endCall(99, 0)).toThrow(/^UNKNOWN_CALL: unknown call instance 99/);
    e.startCall(1, meta('c1'), DEFAULT_POLICY);
    expect(() => e.startCall(1, meta('c1'), DEFAULT_POLICY)).toThrow(/^CALL_EXISTS: /);
  });

  it('scores each speaker in its own model stream and closes both when the call ends', async () => {
    const s = spy(scorer);
    const { e } = engine(s.scorer);
    e.startCall(1, meta('c1'), { ...DEFAULT_POLICY, agentEmotionScoring: true });
    e.startCall(2, meta('c2'), DEFAULT_POLICY);
    e.pushAudio(1, 'customer', customer, 0);
    e.pushAudio(1, 'agent', agent, 0);
    e.pushAudio(2, 'customer', customer, 0);
    await e.drain();
    const streams = new Set(s.seen.map((w) => w.stream));
    expect(streams.size).toBe(3); // c1 customer, c1 agent, c2 customer
    expect([...streams].some((m) => m.closed)).toBe(false);
    e.endCall(1, 0);
    await e.drain();
    // c1's two speakers' streams; c2's stays open.
    expect([...streams].filter((m) => m.closed)).toHaveLength(2);
  });
});
