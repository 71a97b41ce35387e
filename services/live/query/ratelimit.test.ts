import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../core/auth/tokens.ts';
import { type Admission, DEFAULT_RATE_LIMIT, QueryRateLimiter } from './ratelimit.ts';

const A: Principal = { kind: 'tenant', tenantId: 'a' };
const B: Principal = { kind: 'tenant', tenantId: 'b' };
const OPERATOR: Principal = { kind: 'operator', defaultTenant: 'a' };

function fakeClock(startMs = 1_000) {
  const clock = { ms: startMs, now: () => clock.ms };
  return clock;
}

/** Admits and releases at once: one query that finished instantly. */
function ask(limiter: QueryRateLimiter, who: Principal = A, tenant = 'a'): Admission {
  const admission = limiter.admit(who, tenant);
  if (admission.ok) admission.release();
  return admission;
}

const refused = (reason: 'rate' | 'concurrency', retryAfterMs: number) => ({
  ok: false,
  reason,
  retryAfterMs,
});

describe('QueryRateLimiter', () => {
  it('allows a burst, then the sustained rate, and says exactly when to retry', () => {
    const clock = fakeClock();
    const limiter = new QueryRateLimiter({ ratePerSecond: 2, burst: 3, maxConcurrent: 10 }, clock);
    for (let i = 0; i < 3; i++) expect(ask(limiter).ok).toBe(true);
    expect(ask(limiter)).toEqual(refused('rate', 500));
    clock.ms += 499;
    expect(ask(limiter)).toEqual(refused('rate', 1));
    clock.ms += 1;
    expect(ask(limiter).ok).toBe(true);
    expect(ask(limiter)).toEqual(refused('rate', 500));
    // A refusal spends nothing: half a second later exactly one more query is allowed.
    clock.ms += 500;
    expect(ask(limiter).ok).toBe(true);
    expect(ask(limiter).ok).toBe(false);
    // Idle for a long time: the bucket holds no more than the burst.
    clock.ms += 3_600_000;
    for (let i = 0; i < 3; i++) expect(ask(limiter).ok).toBe(true);
    expect(ask(limiter)).toEqual(refused('rate', 500));
  });

  it('handles fractional rates', () => {
    const clock = fakeClock();
    const limiter = new QueryRateLimiter({ ratePerSecond: 0.5, burst: 1 }, clock);
    expect(ask(limiter).ok).toBe(true);
    expect(ask(limiter)).toEqual(refused('rate', 2000));
    clock.ms += 2000;
    expect(ask(limiter).ok).toBe(true);
  });

  it('caps queries in flight without spending the budget on refusals', () => {
    const clock = fakeClock();
    const limiter = new QueryRateLimiter({ ratePerSecond: 1, burst: 3, maxConcurrent: 2 }, clock);
    const first = limiter.admit(A, 'a');
    const second = limiter.admit(A, 'a');
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(limiter.admit(A, 'a')).toEqual(refused('concurrency', 1000));
    expect(limiter.admit(B, 'b').ok).toBe(true); // another tenant has its own slots
    if (!first.ok) throw new Error('unreachable');
    first.release();
    first.release(); // idempotent: frees one slot, not two
    const third = limiter.admit(A, 'a');
    expect(third.ok).toBe(true);
    expect(limiter.admit(A, 'a')).toEqual(refused('concurrency', 1000));
    if (!second.ok || !third.ok) throw new Error('unreachable');
    second.release();
    third.release();
    // Three admitted of a burst of three; the refusals cost nothing but left none over.
    expect(limiter.admit(A, 'a')).toEqual(refused('rate', 1000));
  });

  it('keeps one budget per principal: tenants apart, the operator token once for every tenant', () => {
    const clock = fakeClock();
    const limiter = new QueryRateLimiter({ ratePerSecond: 1, burst: 2 }, clock);
    ask(limiter, A);
    ask(limiter, A);
    expect(ask(limiter, A).ok).toBe(false);
    expect(ask(limiter, B, 'b').ok).toBe(true);
    expect(ask(limiter, OPERATOR, 'a').ok).toBe(true);
    expect(ask(limiter, OPERATOR, 'b').ok).toBe(true);
    expect(ask(limiter, OPERATOR, 'c')).toEqual(refused('rate', 1000));
  });

  it('counts refusals by tenant read, principal and reason in voicepulse_query_rate_limited_total', async () => {
    const registry = new Registry();
    const clock = fakeClock();
    const limiter = new QueryRateLimiter(
      { ratePerSecond: 1, burst: 1, maxConcurrent: 1 },
      { ...clock, registry },
    );
    const held = limiter.admit(A, 'a');
    limiter.admit(A, 'a');
    ask(limiter, OPERATOR, 'b');
    ask(limiter, OPERATOR, 'b');
    ask(limiter, OPERATOR, 'b');
    if (held.ok) held.release();
    ask(limiter, A);
    const text = await registry.metrics();
    expect(text).toContain(
      'voicepulse_query_rate_limited_total{tenant="a",principal="tenant",reason="concurrency"} 1',
    );
    expect(text).toContain(
      'voicepulse_query_rate_limited_total{tenant="a",principal="tenant",reason="rate"} 1',
    );
    expect(text).toContain(
      'voicepulse_query_rate_limited_total{tenant="b",principal="operator",reason="rate"} 2',
    );
  });

  it('drops idle buckets once they have refilled, keeping busy and partly spent ones', () => {
    const clock = fakeClock();
    const limiter = new QueryRateLimiter({ ratePerSecond: 1, burst: 100, maxConcurrent: 5 }, clock);
    for (let i = 0; i < 50; i++) ask(limiter, { kind: 'tenant', tenantId: `t${i}` }, `t${i}`);
    for (let i = 0; i < 100; i++) ask(limiter, B, 'b'); // needs 100 s to refill
    const busy = limiter.admit(OPERATOR, 'a'); // in flight across the sweep
    expect(limiter.size).toBe(52);
    clock.ms += 59_999;
    ask(limiter, A);
    expect(limiter.size).toBe(53); // no sweep before a minute
    clock.ms += 1;
    ask(limiter, A);
    expect(limiter.size).toBe(3); // b (partly refilled), the operator (busy) and a
    // Dropping changed nothing observable: b is still short of its burst.
    expect(ask(limiter, B, 'b').ok).toBe(true);
    if (busy.ok) busy.release();
    clock.ms += 100_000;
    ask(limiter, A);
    expect(limiter.size).toBe(1);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new QueryRateLimiter({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new QueryRateLimiter({ ratePerSecond: Number.NaN })).toThrow(RangeError);
    expect(() => new QueryRateLimiter({ burst: 0.5 })).toThrow(/burst/);
    expect(() => new QueryRateLimiter({ maxConcurrent: 0 })).toThrow(/maxConcurrent/);
    expect(new QueryRateLimiter().config).toEqual(DEFAULT_RATE_LIMIT);
  });
});
