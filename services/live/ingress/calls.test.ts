import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../../../core/auth/tokens.ts';
import { EMOTIONS } from '../../../core/emotions.ts';
import type { EmotionProbs } from '../../../core/events/schema.ts';
import { ManualClock } from '../../../core/streaming/clock.ts';
import { DEFAULT_STREAMING } from '../../../core/streaming/config.ts';
import { voiced } from '../../../core/streaming/testing/synthetic.ts';
import { InlineBackend } from '../scoring/backend.ts';
import { DEFAULT_MAX_BATCH } from '../scoring/engine.ts';
import type { Scorer } from '../scoring/scorer.ts';
import { CallRegistry, ENDING_TIMEOUT_MS } from './calls.ts';
import type { IngressError } from './errors.ts';
import { STALE_MS } from './lag.ts';
import { fakeEvent, RecordingBackend, testIngress } from './testing/fakes.ts';

const OPERATOR: Principal = { kind: 'operator', defaultTenant: 'default' };
const meta = (callId: string, tenantId = 'acme') => ({ callId, tenantId, agentId: null, queue: null });

function refusal(act: () => unknown): string {
  try {
    act();
  } catch (err) {
    return (err as IngressError).code;
  }
  return 'admitted';
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('CallRegistry', () => {
  it("scopes call ids per tenant: another tenant's X starts while acme's X streams or ends", () => {
    const { ctx, backend, emit } = testIngress();
    const calls = ctx.calls;
    const acme = calls.admit(meta('X'), 'twilio', OPERATOR);
    expect(refusal(() => calls.admit(meta('X'), 'twilio', OPERATOR))).toBe('DUPLICATE_CALL');
    acme.end();
    expect(calls.size).toBe(0);
    // Ended, summary not out: the scoring threads still hold acme's X, and acme's watchers follow it.
    expect(refusal(() => calls.admit(meta('X'), 'twilio', OPERATOR))).toBe('CALL_ENDING');
    expect(refusal(() => calls.admit(meta('X', 'globex'), 'twilio', OPERATOR))).toBe('admitted');
    expect(refusal(() => calls.admit(meta('X', 'globex'), 'twilio', OPERATOR))).toBe('DUPLICATE_CALL');
    // Scores of acme's X free nothing; its summary does.
    emit(fakeEvent('X', 'score'));
    expect(refusal(() => calls.admit(meta('X'), 'twilio', OPERATOR))).toBe('CALL_ENDING');
    emit(fakeEvent('X', 'call_summary'));
    expect(refusal(() => calls.admit(meta('X'), 'twilio', OPERATOR))).toBe('admitted');
    expect(backend.started.map((m) => `${m.tenantId}/${m.callId}`)).toEqual(['acme/X', 'globex/X', 'acme/X']);
  });

  it('gives each call instance its own events only, whatever ids the others share', () => {
    const { ctx, backend } = testIngress();
    const seen = { acme: [] as string[], globex: [] as string[], acme2: [] as string[] };
    const acme = ctx.calls.admit(meta('X'), 'native', OPERATOR);
    acme.listen((e) => seen.acme.push(`${e.tenantId}:${e.type}`));
    const globex = ctx.calls.admit(meta('X', 'globex'), 'native', OPERATOR);
    globex.listen((e) => seen.globex.push(`${e.tenantId}:${e.type}`));
    const [first, second] = [backend.instanceOf('X'), backend.instanceOf('X', 'globex')];
    expect(first).not.toBe(second);
    acme.end();
    ctx.calls.emitted(first, fakeEvent('X', 'score'));
    ctx.calls.emitted(second, fakeEvent('X', 'score', { tenantId: 'globex' }));
    ctx.calls.emitted(first, fakeEvent('X', 'call_summary'));
    // acme's next X is a third instance: the late events of the first never reach it.
    const again = ctx.calls.admit(meta('X'), 'native', OPERATOR);
    again.listen((e) => seen.acme2.push(`${e.tenantId}:${e.type}`));
    ctx.calls.emitted(first, fakeEvent('X', 'score'));
    ctx.calls.emitted(backend.instanceOf('X'), fakeEvent('X', 'score'));
    expect(seen).toEqual({
      acme: ['acme:score', 'acme:call_summary'],
      globex: ['globex:score'],
      acme2: ['acme:score'],
    });
  });

  it('frees an ended id whose summary never comes after ENDING_TIMEOUT_MS', () => {
    const { ctx } = testIngress();
    ctx.calls.admit(meta('X'), 'native', OPERATOR).end();
    vi.advanceTimersByTime(ENDING_TIMEOUT_MS - 1);
    expect(refusal(() => ctx.calls.admit(meta('X'), 'native', OPERATOR))).toBe('CALL_ENDING');
    vi.advanceTimersByTime(1);
    expect(refusal(() => ctx.calls.admit(meta('X'), 'native', OPERATOR))).toBe('admitted');
  });

  it('a summary of a call still streaming frees nothing', () => {
    const { ctx, emit } = testIngress();
    ctx.calls.admit(meta('X'), 'native', OPERATOR);
    emit(fakeEvent('X', 'call_summary'));
    expect(refusal(() => ctx.calls.admit(meta('X'), 'native', OPERATOR))).toBe('DUPLICATE_CALL');
  });

  it("refuses a tenant past its policy's quota while other tenants still get in", () => {
    const { ctx } = testIngress({ maxConcurrentCalls: 10 }, { acme: { maxConcurrentCalls: 2 } as never });
    const a = [1, 2].map((i) => ctx.calls.admit(meta(`a${i}`), 'grpc', OPERATOR));
    expect(refusal(() => ctx.calls.admit(meta('a3'), 'grpc', OPERATOR))).toBe('TENANT_CALL_LIMIT');
    expect(refusal(() => ctx.calls.admit(meta('g1', 'globex'), 'grpc', OPERATOR))).toBe('admitted');
    a[0]!.end();
    expect(refusal(() => ctx.calls.admit(meta('a3'), 'grpc', OPERATOR))).toBe('admitted');
  });

  it('refuses new calls with OVERLOADED while scoring lags past the bound; admitted calls go on', async () => {
    const { ctx, backend, registry } = testIngress({ maxScoringLagMs: 1000 });
    const first = ctx.calls.admit(meta('c1'), 'twilio', OPERATOR);
    for (let i = 0; i < 20; i++) ctx.calls.windowScored(40);
    expect(refusal(() => ctx.calls.admit(meta('c2'), 'twilio', OPERATOR))).toBe('admitted');
    // A tail of late windows is enough: the mean would still be low.
    for (let i = 0; i < 4; i++) ctx.calls.windowScored(3000);
    expect(refusal(() => ctx.calls.admit(meta('c3'), 'twilio', OPERATOR))).toBe('OVERLOADED');
    first.audio('customer', new Float32Array(160));
    expect(backend.samples('c1', 'customer').length).toBe(160);
    const lag = registry.getSingleMetric('voicepulse_scoring_lag_seconds');
    expect((await lag?.get())?.values[0]?.value).toBe(3);
    // Lag not refreshed is forgotten; one outlier among many timely windows refuses nobody.
    vi.advanceTimersByTime(STALE_MS + 1);
    expect(ctx.calls.lag.current(performance.timeOrigin + performance.now())).toBe(0);
    for (let i = 0; i < 20; i++) ctx.calls.windowScored(40);
    ctx.calls.windowScored(5000);
    expect(refusal(() => ctx.calls.admit(meta('c4'), 'twilio', OPERATOR))).toBe('admitted');
    // A dropped window is as bad as it gets.
    for (let i = 0; i < 3; i++) ctx.calls.windowsDropped();
    expect(refusal(() => ctx.calls.admit(meta('c5'), 'twilio', OPERATOR))).toBe('OVERLOADED');
  });

  it('never refuses by lag when the bound is 0', () => {
    const { ctx } = testIngress({ maxScoringLagMs: 0 });
    ctx.calls.windowsDropped();
    expect(refusal(() => ctx.calls.admit(meta('c1'), 'twilio', OPERATOR))).toBe('admitted');
  });

  it('checks in order: tenant, scoring, duplicate, quota, limit, lag', () => {
    const { ctx, backend } = testIngress({ maxConcurrentCalls: 1, maxScoringLagMs: 1 });
    const acmeOnly: Principal = { kind: 'tenant', tenantId: 'acme' };
    ctx.calls.admit(meta('c1'), 'twilio', OPERATOR);
    ctx.calls.windowsDropped();
    backend.failure = 'threads down';
    expect(refusal(() => ctx.calls.admit(meta('c1', 'globex'), 'twilio', acmeOnly))).toBe('TENANT_FORBIDDEN');
    expect(refusal(() => ctx.calls.admit(meta('c1'), 'twilio', OPERATOR))).toBe('SCORING_UNAVAILABLE');
    backend.failure = null;
    expect(refusal(() => ctx.calls.admit(meta('c1'), 'twilio', OPERATOR))).toBe('DUPLICATE_CALL');
    expect(refusal(() => ctx.calls.admit(meta('c2'), 'twilio', OPERATOR))).toBe('CALL_LIMIT');
  });
});

/**
 * Live scoring on one thread whose windows cost COST_MS each, on a clock that moves only as the
 * scorer works or the test lets time pass: calls stream 1 s of speech every second (each window
 * arriving at its second), and every score's latency is measured on that clock.
 */
function scoringThread(limits: { maxScoringLoad: number }) {
  const COST_MS = 20;
  const clock = new ManualClock(1_700_000_000_000);
  const uniform = Object.fromEntries(EMOTIONS.map((e) => [e, 1 / EMOTIONS.length])) as EmotionProbs;
  const scorer: Scorer = {
    modelVersion: 'cost-only',
    async scoreWindows(windows) {
      clock.advance(COST_MS * windows.length);
      return windows.map(() => uniform);
    },
  };
  const latencies: number[] = [];
  const backend = new InlineBackend({
    scorer,
    config: DEFAULT_STREAMING,
    clock,
    maxBatch: DEFAULT_MAX_BATCH,
    emit: (out) => {
      for (const o of out) {
        if (o.arrivedAtMs === undefined) continue;
        latencies.push(clock.now() - o.arrivedAtMs);
        calls.windowScored(clock.now() - o.arrivedAtMs);
      }
    },
    onBatch: (windows, busyMs) => calls.batchScored(windows, busyMs),
  });
  const limit = { maxConcurrentCalls: 1000, maxScoringLagMs: 2500, ...limits };
  const calls = new CallRegistry(backend, {}, limit, undefined, () => clock.now());
  const open: ReturnType<CallRegistry['admit']>[] = [];
  return {
    calls,
    latencies,
    admit(callId: string): string {
      try {
        open.push(calls.admit(meta(callId), 'native', OPERATOR));
        return 'admitted';
      } catch (err) {
        return (err as IngressError).code;
      }
    },
    /**
     * `seconds` of every open call's speech, arriving a second at a time on the clock while the
     * thread scores (it takes the next second's audio between two batches), then the rest scored.
     */
    async stream(seconds: number) {
      const start = Math.ceil(clock.now() / 1000) * 1000;
      for (let s = 0; s < seconds; s++) {
        const arrival = start + s * 1000;
        while (clock.now() < arrival) {
          const before = clock.now();
          await new Promise((r) => setImmediate(r));
          // Nothing to score: the thread waits for the audio.
          if (clock.now() === before) clock.advance(arrival - before);
        }
        open.forEach((c, i) => {
          c.audio('customer', voiced(1000, { seed: i + s }));
        });
      }
      await backend.settle();
    },
  };
}

describe('CallRegistry admission under a burst', () => {
  beforeEach(() => {
    vi.useRealTimers();
  });

  it('refuses a burst far above capacity at once; the calls it admits keep their window latency', async () => {
    const t = scoringThread({ maxScoringLoad: 1 });
    expect(t.admit('warm')).toBe('admitted');
    await t.stream(3);
    // 20 ms a window on one thread: 50 speaking customers fill it.
    expect(t.calls.capacity.windowCostMs).toBe(20);
    const burst = Array.from({ length: 200 }, (_, i) => t.admit(`burst-${i}`));
    expect(burst.filter((r) => r === 'admitted')).toHaveLength(49);
    expect(burst.filter((r) => r === 'OVERLOADED')).toHaveLength(151);
    t.latencies.length = 0;
    await t.stream(20);
    // Every window scored (a new call's first ends at 2 s), none later than the second it arrived in.
    expect(t.latencies.length).toBe(20 + 49 * 19);
    expect(Math.max(...t.latencies)).toBeLessThanOrEqual(1000);
  });

  it('without it, lag alone admits the whole burst and every call’s latency climbs', async () => {
    const t = scoringThread({ maxScoringLoad: 0 });
    expect(t.admit('warm')).toBe('admitted');
    await t.stream(3);
    const burst = Array.from({ length: 200 }, (_, i) => t.admit(`burst-${i}`));
    expect(burst.every((r) => r === 'admitted')).toBe(true);
    t.latencies.length = 0;
    await t.stream(5);
    expect(Math.max(...t.latencies)).toBeGreaterThan(10_000);
  });
});

describe('CallRegistry admission by load', () => {
  it('charges against the cores the scoring threads count on, not their number', () => {
    const backend = new RecordingBackend();
    // Two threads on two cores: the second uses the gateway's idle time, one core counts.
    Object.assign(backend, { layout: { ...backend.layout, threads: 2, scoringCores: 1 } });
    const limits = { maxConcurrentCalls: 1000, maxScoringLagMs: 2500, maxScoringLoad: 1 };
    const calls = new CallRegistry(backend, {}, limits);
    calls.batchScored(8, 160); // 20 ms a window
    expect(calls.capacity.load(50)).toBe(1);
  });
});
