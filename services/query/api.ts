// The historical query REST API under /api/. `createQueryApi` returns a handler that the HTTP
// server on the gateway's port mounts: it answers /api/* and returns false for any other path.
// Every query parameter is validated with zod (bad input → 400 with the issues); the tenant comes
// from the bearer token (auth.ts); SQL lives in queries.ts with bound parameters.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import { EMOTIONS } from '../../core/emotions.ts';
import { authenticate, type Principal, type QueryAuthConfig } from './auth.ts';
import { agentScorecard, callTimeline, searchCalls, type TimeRange, trend } from './queries.ts';

export interface QueryApiOptions {
  clickhouse: ClickHouse;
  auth: QueryAuthConfig;
  /** Clock for default time ranges (tests). */
  now?: () => number;
  onError?: (error: Error) => void;
}

export interface QueryApi {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
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

const cursorSchema = z.strictObject({ k: z.number().finite(), id, s: z.enum(['recent', 'frustration']) });

/** A request the API refuses; `status` is the HTTP status (gRPC maps it to a status code). */
export class QueryError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues?: string[],
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

function parse<T extends z.ZodType>(schema: T, params: URLSearchParams): z.infer<T> {
  const raw: Record<string, string> = {};
  for (const [k, v] of params) {
    if (k in raw) throw new QueryError(400, `query parameter '${k}' given more than once`);
    raw[k] = v;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`);
    throw new QueryError(400, 'invalid query parameters', issues);
  }
  return result.data;
}

function pathId(segment: string): string {
  let value: string;
  try {
    value = decodeURIComponent(segment);
  } catch {
    throw new QueryError(400, 'malformed path segment');
  }
  const result = id.safeParse(value);
  if (!result.success) throw new QueryError(400, 'path id must be 1–128 characters');
  return result.data;
}

function range(q: { from?: number | undefined; to?: number | undefined }, now: number): TimeRange {
  const toMs = q.to ?? now;
  const fromMs = q.from ?? toMs - 7 * DAY_MS;
  if (fromMs >= toMs) throw new QueryError(400, '`from` must be before `to`');
  if (toMs - fromMs > MAX_RANGE_MS) throw new QueryError(400, 'time range longer than 400 days');
  return { fromMs, toMs };
}

function tenantOf(principal: Principal, requested: string | undefined): string {
  if (principal.kind === 'operator') return requested ?? principal.defaultTenant;
  if (requested !== undefined && requested !== principal.tenantId) {
    throw new QueryError(403, 'this token may not read another tenant');
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
    throw new QueryError(400, 'invalid cursor');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export interface QueryRunner {
  /** Runs the query a REST path names, for an authenticated caller; throws QueryError when refused. */
  run(principal: Principal, pathname: string, params: URLSearchParams): Promise<unknown>;
}

export function createQueryRunner(options: Omit<QueryApiOptions, 'auth' | 'onError'>): QueryRunner {
  const ch = options.clickhouse;
  const now = options.now ?? Date.now;

  type Route = (principal: Principal, params: URLSearchParams, match: RegExpExecArray) => Promise<unknown>;
  const routes: [RegExp, Route][] = [
    [
      /^\/api\/calls\/([^/]+)\/timeline$/,
      async (p, params, m) => {
        const q = parse(rangeQuery.pick({ tz: true, tenant: true }), params);
        const callId = pathId(m[1] as string);
        const timeline = await callTimeline(ch, tenantOf(p, q.tenant), callId);
        if (!timeline) throw new QueryError(404, `no call ${callId}`);
        return { ...timeline, tz: q.tz };
      },
    ],
    [
      /^\/api\/agents\/([^/]+)\/scorecard$/,
      async (p, params, m) => {
        const q = parse(rangeQuery, params);
        return agentScorecard(ch, tenantOf(p, q.tenant), pathId(m[1] as string), range(q, now()));
      },
    ],
    [
      /^\/api\/queues\/([^/]+)\/trend$/,
      async (p, params, m) => {
        const q = parse(trendQuery, params);
        const queue = pathId(m[1] as string);
        const points = await trend(ch, tenantOf(p, q.tenant), range(q, now()), q.bucket, q.tz, queue);
        return {
          queue,
          bucket: q.bucket,
          tz: q.tz,
          points: labelled(points, q.tz),
        };
      },
    ],
    [
      /^\/api\/trend$/,
      async (p, params) => {
        const q = parse(trendQuery, params);
        const points = await trend(ch, tenantOf(p, q.tenant), range(q, now()), q.bucket, q.tz);
        return {
          bucket: q.bucket,
          tz: q.tz,
          points: labelled(points, q.tz),
        };
      },
    ],
    [
      /^\/api\/calls\/most-frustrated$/,
      async (p, params) => {
        const q = parse(rangeQuery.extend({ limit: callsQuery.shape.limit.default(10) }), params);
        const { calls } = await searchCalls(ch, tenantOf(p, q.tenant), {
          ...range(q, now()),
          sort: 'frustration',
          minFrustration: 0,
          limit: q.limit,
        });
        return { calls };
      },
    ],
    [
      /^\/api\/calls$/,
      async (p, params) => {
        const q = parse(callsQuery, params);
        const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
        if (cursor && cursor.s !== q.sort) throw new QueryError(400, 'cursor belongs to another sort order');
        const page = await searchCalls(ch, tenantOf(p, q.tenant), {
          ...range(q, now()),
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
          nextCursor: page.next ? encodeCursor({ k: page.next.key, id: page.next.callId, s: q.sort }) : null,
        };
      },
    ],
  ];

  return {
    async run(principal, pathname, params) {
      for (const [pattern, route] of routes) {
        const match = pattern.exec(pathname);
        if (match) return route(principal, params, match);
      }
      throw new QueryError(404, `no route ${pathname}`);
    },
  };
}

export function createQueryApi(options: QueryApiOptions): QueryApi {
  const runner = createQueryRunner(options);
  const openapi = readFileSync(OPENAPI_PATH, 'utf8');
  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
      try {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new QueryError(405, 'only GET');
        if (url.pathname === '/api/openapi.json') {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end(openapi);
          return true;
        }
        const principal = authenticate(options.auth, req.headers.authorization);
        if (!principal) {
          res.setHeader('www-authenticate', 'Bearer');
          throw new QueryError(401, 'missing or invalid bearer token');
        }
        send(res, 200, await runner.run(principal, url.pathname, url.searchParams));
        return true;
      } catch (err) {
        if (err instanceof QueryError) {
          send(res, err.status, { error: err.message, ...(err.issues ? { issues: err.issues } : {}) });
        } else {
          options.onError?.(err instanceof Error ? err : new Error(String(err)));
          send(res, 500, { error: 'internal error' });
        }
        return true;
      }
    },
  };
}
