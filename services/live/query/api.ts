// The historical query REST API under /api/. `createQueryApi` returns a handler that the HTTP
// server on the gateway's port mounts: it answers /api/* and returns false for any other path.
// Every query parameter is validated with zod (bad input → 400 with the issues); the tenant comes
// from the bearer token (auth.ts); a valid request is then admitted by the principal's rate limits
// (ratelimit.ts; 429 otherwise); SQL lives in queries.ts with bound parameters.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { bearerToken } from '../../../core/auth/bearer.ts';
import { type AuthConfig, authenticate, type Principal } from '../../../core/auth/tokens.ts';
import type { ClickHouse } from '../../../core/clickhouse/client.ts';
import { EMOTIONS } from '../../../core/emotions.ts';
import { detailOf, VoicePulseError } from '../../../core/errors.ts';
import { sendJson } from '../http.ts';
import { csvHeaders, csvTableFor, wantsCsv, writeCsv } from './csv.ts';
import { agentScorecard, callTimeline, searchCalls, type TimeRange, trend } from './queries.ts';
import { QueryRateLimiter, type RateLimitConfig } from './ratelimit.ts';

export interface QueryApiOptions {
  clickhouse: ClickHouse;
  auth: AuthConfig;
  /** Per-principal limits; unset fields take DEFAULT_RATE_LIMIT. */
  rateLimit?: Partial<RateLimitConfig>;
  /** Clock for default time ranges (tests). */
  now?: () => number;
  /**
   * Per-principal admission; pass the same one to REST and gRPC so they share each budget.
   * Default: a limiter of its own from `rateLimit`.
   */
  limiter?: QueryRateLimiter;
  onError?: (error: Error) => void;
}

export interface QueryApi {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Its admission control: pass it to the gRPC service, register `limiter.limited` for /metrics. */
  readonly limiter: QueryRateLimiter;
}

export const OPENAPI_PATH = new URL('./openapi.json', import.meta.url);

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

const id = z.string().min(1).max(128);
/** ISO 8601 date-time or epoch milliseconds. */
const instant = z.union([
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  z.iso.date().transform((s) => Date.parse(`${s}T00:00:00Z`)),
]);
const timeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return /^[A-Za-z0-9_+\-/]+$/.test(tz);
    } catch {
      return false;
    }
  }, 'not an IANA time zone');
const unit = z.coerce.number().min(0).max(1);

const rangeQuery = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
  tz: timeZone.default('UTC'),
  tenant: id.optional(),
});

const trendQuery = rangeQuery.extend({ bucket: z.enum(['hour', 'day']).default('hour') });

const callsQuery = rangeQuery.extend({
  agent: id.optional(),
  queue: id.optional(),
  minFrustration: unit.optional(),
  emotion: z.enum(EMOTIONS).optional(),
  minEmotion: unit.optional(),
  sort: z.enum(['recent', 'frustration']).default('recent'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(512).optional(),
});

// A cursor's key is what a page of its sort can end on: a start time (epoch ms, a safe integer) or a
// frustration in [0, 1]; anything else was tampered with and is refused before it reaches SQL.
const cursorSchema = z
  .strictObject({ k: z.number().finite(), id, s: z.enum(['recent', 'frustration']) })
  .refine((c) => (c.s === 'recent' ? Number.isSafeInteger(c.k) && c.k >= 0 : c.k >= 0 && c.k <= 1));

/** Why the API refuses a request. HTTP_STATUS (here) and grpc.ts map each to its wire code. */
export type QueryErrorCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'RATE_LIMITED';

/** The REST edge's status for each refusal. */
export const HTTP_STATUS: Readonly<Record<QueryErrorCode, number>> = {
  INVALID_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  RATE_LIMITED: 429,
};

/** A request the API refuses; `issues` lists each invalid parameter. */
export class QueryError extends VoicePulseError<QueryErrorCode> {
  constructor(
    code: QueryErrorCode,
    message: string,
    readonly issues?: string[],
  ) {
    super(code, message);
  }
}

/** The principal's rate or concurrency limit; retry after `retryAfterMs`. */
export class RateLimitedError extends QueryError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('RATE_LIMITED', message);
  }
}

function parse<T extends z.ZodType>(schema: T, params: URLSearchParams): z.infer<T> {
  const raw: Record<string, string> = {};
  for (const [k, v] of params) {
    if (k in raw) throw new QueryError('INVALID_REQUEST', `query parameter '${k}' given more than once`);
    raw[k] = v;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`);
    throw new QueryError('INVALID_REQUEST', 'invalid query parameters', issues);
  }
  return result.data;
}

function pathId(segment: string): string {
  let value: string;
  try {
    value = decodeURIComponent(segment);
  } catch {
    throw new QueryError('INVALID_REQUEST', 'malformed path segment');
  }
  const result = id.safeParse(value);
  if (!result.success) throw new QueryError('INVALID_REQUEST', 'path id must be 1–128 characters');
  return result.data;
}

function range(q: { from?: number | undefined; to?: number | undefined }, now: number): TimeRange {
  const toMs = q.to ?? now;
  const fromMs = q.from ?? toMs - 7 * DAY_MS;
  if (fromMs >= toMs) throw new QueryError('INVALID_REQUEST', '`from` must be before `to`');
  if (toMs - fromMs > MAX_RANGE_MS)
    throw new QueryError('INVALID_REQUEST', 'time range longer than 400 days');
  return { fromMs, toMs };
}

function tenantOf(principal: Principal, requested: string | undefined): string {
  if (principal.kind === 'operator') return requested ?? principal.defaultTenant;
  if (requested !== undefined && requested !== principal.tenantId) {
    throw new QueryError('FORBIDDEN', 'this token may not read another tenant');
  }
  return principal.tenantId;
}

/** Labels bucket starts with the local time in a zone ("2024-05-01T14:00:00"); one formatter per request. */
/** Trend points with their local `start` label. */
function labelled<T extends { startMs: number }>(points: T[], tz: string): (T & { start: string })[] {
  const label = localTimeLabeler(tz);
  return points.map((x) => ({ start: label(x.startMs), ...x }));
}

function localTimeLabeler(tz: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return (ms) => {
    const parts = format.formatToParts(ms);
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
    return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
  };
}

const encodeCursor = (c: z.infer<typeof cursorSchema>) =>
  Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(value: string) {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
  } catch {
    throw new QueryError('INVALID_REQUEST', 'invalid cursor');
  }
}

export interface QueryRunner {
  /** Runs the query a REST path names, for an authenticated caller; throws QueryError when refused. */
  run(principal: Principal, pathname: string, params: URLSearchParams): Promise<unknown>;
}

/** A validated request: the tenant it reads and the query that answers it. */
interface Plan {
  tenant: string;
  execute(): Promise<unknown>;
}

/** Runs the routes; with a `limiter`, a valid request runs only once admitted (else RateLimitedError). */
export function createQueryRunner(options: Omit<QueryApiOptions, 'auth' | 'onError'>): QueryRunner {
  const ch = options.clickhouse;
  const now = options.now ?? Date.now;

  // Routes validate everything before planning, so refused requests (400/403) spend no budget.
  type Route = (principal: Principal, params: URLSearchParams, match: RegExpExecArray) => Plan;
  const routes: [RegExp, Route][] = [
    [
      /^\/api\/calls\/([^/]+)\/timeline$/,
      (p, params, m) => {
        const q = parse(rangeQuery.pick({ tz: true, tenant: true }), params);
        const callId = pathId(m[1] as string);
        const tenant = tenantOf(p, q.tenant);
        return {
          tenant,
          execute: async () => {
            const timeline = await callTimeline(ch, tenant, callId);
            if (!timeline) throw new QueryError('NOT_FOUND', `no call ${callId}`);
            return { ...timeline, tz: q.tz };
          },
        };
      },
    ],
    [
      /^\/api\/agents\/([^/]+)\/scorecard$/,
      (p, params, m) => {
        const q = parse(rangeQuery, params);
        const agentId = pathId(m[1] as string);
        const tenant = tenantOf(p, q.tenant);
        const r = range(q, now());
        return { tenant, execute: () => agentScorecard(ch, tenant, agentId, r) };
      },
    ],
    [
      /^\/api\/queues\/([^/]+)\/trend$/,
      (p, params, m) => {
        const q = parse(trendQuery, params);
        const queue = pathId(m[1] as string);
        const tenant = tenantOf(p, q.tenant);
        const r = range(q, now());
        return {
          tenant,
          execute: async () => {
            const points = await trend(ch, tenant, r, q.bucket, q.tz, queue);
            return { queue, bucket: q.bucket, tz: q.tz, points: labelled(points, q.tz) };
          },
        };
      },
    ],
    [
      /^\/api\/trend$/,
      (p, params) => {
        const q = parse(trendQuery, params);
        const tenant = tenantOf(p, q.tenant);
        const r = range(q, now());
        return {
          tenant,
          execute: async () => {
            const points = await trend(ch, tenant, r, q.bucket, q.tz);
            return { bucket: q.bucket, tz: q.tz, points: labelled(points, q.tz) };
          },
        };
      },
    ],
    [
      /^\/api\/calls\/most-frustrated$/,
      (p, params) => {
        const q = parse(rangeQuery.extend({ limit: callsQuery.shape.limit.default(10) }), params);
        const tenant = tenantOf(p, q.tenant);
        const r = range(q, now());
        return {
          tenant,
          execute: async () => {
            const { calls } = await searchCalls(ch, tenant, {
              ...r,
              sort: 'frustration',
              minFrustration: 0,
              limit: q.limit,
            });
            return { calls };
          },
        };
      },
    ],
    [
      /^\/api\/calls$/,
      (p, params) => {
        const q = parse(callsQuery, params);
        const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
        if (cursor && cursor.s !== q.sort)
          throw new QueryError('INVALID_REQUEST', 'cursor belongs to another sort order');
        const tenant = tenantOf(p, q.tenant);
        const r = range(q, now());
        return {
          tenant,
          execute: async () => {
            const page = await searchCalls(ch, tenant, {
              ...r,
              sort: q.sort,
              limit: q.limit,
              ...(q.agent !== undefined ? { agentId: q.agent } : {}),
              ...(q.queue !== undefined ? { queue: q.queue } : {}),
              ...(q.minFrustration !== undefined ? { minFrustration: q.minFrustration } : {}),
              ...(q.emotion !== undefined ? { emotion: q.emotion } : {}),
              ...(q.minEmotion !== undefined ? { minEmotion: q.minEmotion } : {}),
              ...(cursor ? { after: { key: cursor.k, callId: cursor.id } } : {}),
            });
            return {
              calls: page.calls,
              nextCursor: page.next
                ? encodeCursor({ k: page.next.key, id: page.next.callId, s: q.sort })
                : null,
            };
          },
        };
      },
    ],
  ];

  async function admitted(principal: Principal, plan: Plan): Promise<unknown> {
    const admission = options.limiter?.admit(principal, plan.tenant);
    if (admission && !admission.ok) {
      throw new RateLimitedError(
        admission.reason === 'rate'
          ? 'rate limit exceeded for this token'
          : 'too many concurrent queries for this token',
        admission.retryAfterMs,
      );
    }
    try {
      return await plan.execute();
    } finally {
      admission?.release();
    }
  }

  return {
    async run(principal, pathname, params) {
      for (const [pattern, route] of routes) {
        const match = pattern.exec(pathname);
        if (match) return admitted(principal, route(principal, params, match));
      }
      throw new QueryError('NOT_FOUND', `no route ${pathname}`);
    },
  };
}

/** The limiter of `options`, else a new one from `rateLimit` (REST and gRPC share a passed one). */
export function limiterOf(options: QueryApiOptions): QueryRateLimiter {
  return options.limiter ?? new QueryRateLimiter(options.rateLimit);
}

export function createQueryApi(options: QueryApiOptions): QueryApi {
  const limiter = limiterOf(options);
  const runner = createQueryRunner({ ...options, limiter });
  const openapi = readFileSync(OPENAPI_PATH, 'utf8');
  return {
    limiter,
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
      try {
        if (req.method !== 'GET' && req.method !== 'HEAD')
          throw new QueryError('METHOD_NOT_ALLOWED', 'only GET');
        if (url.pathname === '/api/openapi.json') {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end(openapi);
          return true;
        }
        const principal = authenticate(options.auth, bearerToken(req.headers.authorization));
        if (!principal) {
          res.setHeader('www-authenticate', 'Bearer');
          throw new QueryError('UNAUTHENTICATED', 'missing or invalid bearer token');
        }
        const csv = wantsCsv(url.searchParams, req.headers.accept);
        if (csv === undefined) throw new QueryError('INVALID_REQUEST', '`format` must be json or csv');
        const table = csv ? csvTableFor(url.pathname) : undefined;
        const body = await runner.run(principal, url.pathname, url.searchParams);
        if (table) await writeCsv(res, table, body, csvHeaders(body));
        else sendJson(res, 200, body);
        return true;
      } catch (err) {
        if (err instanceof RateLimitedError) {
          // Retry-After is whole seconds (RFC 9110); the body carries the exact wait.
          res.setHeader('retry-after', String(Math.ceil(err.retryAfterMs / 1000)));
          sendJson(res, HTTP_STATUS[err.code], { error: detailOf(err), retryAfterMs: err.retryAfterMs });
        } else if (err instanceof QueryError) {
          sendJson(res, HTTP_STATUS[err.code], {
            error: detailOf(err),
            ...(err.issues ? { issues: err.issues } : {}),
          });
        } else {
          options.onError?.(err instanceof Error ? err : new Error(String(err)));
          sendJson(res, 500, { error: 'internal error' });
        }
        return true;
      }
    },
  };
}
