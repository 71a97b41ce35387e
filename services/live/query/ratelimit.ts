// Admission control for the query API, so that one tenant or one leaked token cannot monopolise
// ClickHouse: per principal (a tenant token, or the operator token) a token bucket — `burst`
// queries at once, refilled at `ratePerSecond` — and a cap on queries in flight. Tenants share
// nothing, and only authenticated requests reach it.
// Hand-written: npm's limiters (limiter, rate-limiter-flexible) read the wall clock and cap no concurrency.
// The limits are the query API's own settings (VOICEPULSE_QUERY_*, parsed in core/config/env.ts), not
// part of the auth config.
import { Counter, type Registry } from 'prom-client';
import type { Principal } from '../../../core/auth/tokens.ts';

export interface RateLimitConfig {
  /** Sustained queries per second per principal. */
  ratePerSecond: number;
  /** Queries a principal may make back to back after idling (the bucket's size). */
  burst: number;
  /** Queries of one principal running at the same time. */
  maxConcurrent: number;
}

/** Far above what the dashboards, the wallboard and the benchmark's 200 back-to-back scorecards ask. */
export const DEFAULT_RATE_LIMIT: Readonly<RateLimitConfig> = {
  ratePerSecond: 50,
  burst: 300,
  maxConcurrent: 8,
};

export interface Refusal {
  ok: false;
  reason: 'rate' | 'concurrency';
  retryAfterMs: number;
}

export type Admission = { ok: true; release: () => void } | Refusal;

export interface RateLimiterOptions {
  /** Monotonic clock in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Where `voicepulse_query_rate_limited_total` is registered (or register `limiter.limited` later). */
  registry?: Registry;
}

/** Credit is kept in thousandths of a query: integer arithmetic for integer rates and clocks. */
const QUERY = 1000;
/** A slot frees when some query ends, which cannot be predicted: retry after a second. */
const CONCURRENCY_RETRY_MS = 1000;
/** How often idle buckets are dropped. */
const SWEEP_INTERVAL_MS = 60_000;

interface Bucket {
  credit: number;
  atMs: number;
  inFlight: number;
}

export class QueryRateLimiter {
  readonly config: Readonly<RateLimitConfig>;
  readonly limited: Counter<'tenant' | 'principal' | 'reason'>;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private lastSweepMs: number;

  constructor(config: Partial<RateLimitConfig> = {}, options: RateLimiterOptions = {}) {
    this.config = { ...DEFAULT_RATE_LIMIT, ...config };
    const { ratePerSecond, burst, maxConcurrent } = this.config;
    if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0))
      throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
    for (const [name, value] of Object.entries({ burst, maxConcurrent }))
      if (!(Number.isInteger(value) && value >= 1))
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
    this.now = options.now ?? (() => performance.now());
    this.lastSweepMs = this.now();
    this.limited = new Counter({
      name: 'voicepulse_query_rate_limited_total',
      help: 'Query API requests refused with 429 / RESOURCE_EXHAUSTED, by tenant read, principal and reason',
      labelNames: ['tenant', 'principal', 'reason'],
      registers: options.registry ? [options.registry] : [],
    });
  }

  /** Buckets held (idle full buckets are dropped, so memory follows the active principals). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Admits one query of `principal` reading `tenant`, or says why not and when to retry. An admitted
   * query holds a concurrency slot until `release()` (idempotent).
   */
  admit(principal: Principal, tenant: string): Admission {
    const now = this.now();
    if (now - this.lastSweepMs >= SWEEP_INTERVAL_MS) this.sweep(now);
    const key = principal.kind === 'tenant' ? `tenant:${principal.tenantId}` : 'operator';
    const bucket = this.buckets.get(key) ?? { credit: this.config.burst * QUERY, atMs: now, inFlight: 0 };
    bucket.credit = this.creditAt(bucket, now);
    bucket.atMs = Math.max(bucket.atMs, now);
    let refusal: Refusal | undefined;
    if (bucket.inFlight >= this.config.maxConcurrent) {
      refusal = { ok: false, reason: 'concurrency', retryAfterMs: CONCURRENCY_RETRY_MS };
    } else if (bucket.credit < QUERY) {
      const retryAfterMs = Math.ceil((QUERY - bucket.credit) / this.config.ratePerSecond);
      refusal = { ok: false, reason: 'rate', retryAfterMs };
    }
    if (refusal) {
      this.limited.inc({ tenant, principal: principal.kind, reason: refusal.reason });
      return refusal;
    }
    bucket.credit -= QUERY;
    bucket.inFlight++;
    this.buckets.set(key, bucket);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        bucket.inFlight--;
      },
    };
  }

  private creditAt(bucket: Bucket, now: number): number {
    const elapsed = Math.max(0, now - bucket.atMs);
    return Math.min(this.config.burst * QUERY, bucket.credit + elapsed * this.config.ratePerSecond);
  }

  /** Drops buckets with nothing in flight that have refilled: they are the same as a fresh one. */
  private sweep(now: number): void {
    this.lastSweepMs = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.inFlight === 0 && this.creditAt(bucket, now) >= this.config.burst * QUERY)
        this.buckets.delete(key);
    }
  }
}
