// The wallboard's data API under /wallboard/api/, every request with `Authorization: Bearer <token>`
// (the token never travels in a URL here):
//   GET  stream?tenant=T              newline-delimited JSON: a snapshot (BoardHistory), then each of
//                                     the tenant's events and acknowledgements as they happen, and a
//                                     ping every pingMs so a dead connection shows
//   GET  snapshot?tenant=T            the snapshot alone
//   GET  calls/{callId}?tenant=T      one call with every window kept and their explanations (a
//                                     timeline opened later)
//   POST alerts/{alertId}/ack?tenant=T  {"by": "name"}: acknowledge an alert: an alert_ack event
//                                     published on the bus (every pod's boards, the sink), then told
//                                     to this pod's boards; the first acknowledgement stands
// A tenant's first snapshot after a restart first restores its alerts and acknowledgements from the
// history store (store.ts), so neither is lost with the process.
// A refusal is one JSON line `{ code, error }` whose code the board turns into its message (a missing,
// refused or no longer valid token is not something to retry). A stream that cannot keep up is ended
// rather than buffered: the board reconnects and starts again from a fresh snapshot.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { bearerToken } from '../../../core/auth/bearer.ts';
import { type AuthConfig, authenticate, mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import { callTimelineUrl } from '../../../core/dashboards.ts';
import { detailOf, VoicePulseError } from '../../../core/errors.ts';
import type { AlertAckEvent } from '../../../core/events/schema.ts';
import { sendJson } from '../http.ts';
import type { BoardHistory } from './history.ts';
import type { BoardStore } from './store.ts';

export const API_PATH = '/wallboard/api/';

export interface WallboardApiOptions {
  auth: AuthConfig;
  history: BoardHistory;
  /** Grafana's base URL; when set, boards link each call to its call-timeline dashboard. */
  grafanaUrl?: string;
  /** Open streams across tenants; more are refused. Default 200. */
  maxStreams?: number;
  /** Bytes a stream may have waiting for a slow board before it is ended. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Default 15 s. */
  pingMs?: number;
  /** Publishes an acknowledgement where every pod and the sink read it (the bus); none = this process only. */
  publish?: (event: AlertAckEvent) => Promise<void>;
  /** The history store, read once per tenant when its first board opens; none = the live history only. */
  store?: BoardStore;
  /** Told what failed without failing the request (a store that cannot be read). */
  onError?: (err: Error) => void;
}

export type WallboardApiErrorCode =
  | 'MISSING_TOKEN'
  | 'TOKEN_REFUSED'
  | 'TENANT_FORBIDDEN'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'BODY_TOO_LARGE'
  | 'TOO_MANY_STREAMS'
  | 'STORE_UNAVAILABLE';

export class WallboardApiError extends VoicePulseError<WallboardApiErrorCode> {}

const STATUS: Readonly<Record<WallboardApiErrorCode, number>> = {
  MISSING_TOKEN: 401,
  TOKEN_REFUSED: 401,
  TENANT_FORBIDDEN: 403,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  TOO_MANY_STREAMS: 503,
  STORE_UNAVAILABLE: 503,
};

/** Stands for the call id in the Grafana link template a snapshot carries. */
export const CALL_ID_PLACEHOLDER = '__CALL_ID__';
const MAX_BODY_BYTES = 4096;
const MAX_RESTORED_TENANTS = 10_000;
const id = z.string().regex(/^[\w.:@-]{1,256}$/, 'letters, digits and . : @ - _ only, at most 256');
const ackBody = z.strictObject({ by: z.string().trim().min(1).max(64) });

function fail(code: WallboardApiErrorCode, message: string): never {
  throw new WallboardApiError(code, message);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) fail('BODY_TOO_LARGE', `a request body holds at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return fail('BAD_REQUEST', 'the body is not JSON');
  }
}

export interface WallboardApi {
  /** Resolves false for paths outside /wallboard/api/. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends every open stream (shutdown). */
  close(): void;
}

export function createWallboardApi(options: WallboardApiOptions): WallboardApi {
  const { auth, history } = options;
  const maxStreams = options.maxStreams ?? 200;
  const maxBuffered = options.maxBufferedBytes ?? 1 << 20;
  const pingMs = options.pingMs ?? 15_000;
  const streams = new Set<ServerResponse>();

  const principalOf = (req: IncomingMessage): Principal => {
    const token = bearerToken(req.headers.authorization);
    if (!token) fail('MISSING_TOKEN', 'this board needs the service token');
    return authenticate(auth, token) ?? fail('TOKEN_REFUSED', 'the token was not accepted');
  };

  const tenantOf = (principal: Principal, url: URL): string => {
    const requested = url.searchParams.get('tenant');
    const tenant = requested ?? (principal.kind === 'tenant' ? principal.tenantId : principal.defaultTenant);
    if (!id.safeParse(tenant).success) fail('BAD_REQUEST', 'tenant: letters, digits and . : @ - _ only');
    if (!mayAccessTenant(principal, tenant))
      fail('TENANT_FORBIDDEN', `this token may not watch tenant ${tenant}`);
    return tenant;
  };

  // Tenants whose stored alerts were read (or are being read); a failed read is tried again next time.
  // Bounded: a tenant forgotten here is merely read again (restore keeps what the history has).
  const restored = new Map<string, Promise<void>>();
  const restore = (tenant: string): Promise<void> => {
    const store = options.store;
    if (!store) return Promise.resolve();
    let reading = restored.get(tenant);
    if (!reading) {
      const { sinceMs, limit } = history.alertWindow();
      reading = store.alertsSince(tenant, sinceMs, limit).then(
        ({ alerts, acks }) => history.restore(tenant, alerts, acks),
        (err: Error) => {
          restored.delete(tenant);
          options.onError?.(err);
        },
      );
      restored.set(tenant, reading);
      if (restored.size > MAX_RESTORED_TENANTS) restored.delete(restored.keys().next().value!);
    }
    return reading;
  };

  const snapshot = (tenant: string) => ({
    ...history.snapshot(tenant),
    grafanaCallUrl: options.grafanaUrl
      ? callTimelineUrl(options.grafanaUrl, tenant, CALL_ID_PLACEHOLDER)
      : null,
  });

  const stream = (req: IncomingMessage, res: ServerResponse, tenant: string) => {
    if (streams.size >= maxStreams) fail('TOO_MANY_STREAMS', 'too many boards are open; try again later');
    res.writeHead(200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      // Reverse proxies must pass lines on as they come.
      'x-accel-buffering': 'no',
    });
    streams.add(res);
    let unsubscribe = () => {};
    let ping: NodeJS.Timeout | undefined;
    const closed = () => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(res);
    };
    const write = (line: string) => {
      if (res.writableEnded) return;
      if (res.writableLength <= maxBuffered) res.write(`${line}\n`);
      else {
        closed();
        res.end();
      }
    };
    write(JSON.stringify(snapshot(tenant)));
    unsubscribe = history.subscribe(tenant, write);
    ping = setInterval(() => write(JSON.stringify({ type: 'ping', nowMs: Date.now() })), pingMs);
    res.once('close', closed);
    req.once('close', () => res.end());
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const parts = url.pathname.slice(API_PATH.length).split('/');
    const method = req.method ?? 'GET';
    const principal = principalOf(req);
    const tenant = tenantOf(principal, url);
    const pathId = (segment: string | undefined) => {
      let value = '';
      try {
        value = decodeURIComponent(segment ?? '');
      } catch {
        // Not percent-decodable: refused below like any other bad id.
      }
      return id.safeParse(value).success ? value : fail('BAD_REQUEST', 'bad id in the path');
    };
    const only = (allowed: string) => {
      if (method !== allowed) fail('METHOD_NOT_ALLOWED', `${url.pathname} takes ${allowed} only`);
    };
    if (parts.length === 1 && parts[0] === 'stream') {
      only('GET');
      await restore(tenant);
      return stream(req, res, tenant);
    }
    if (parts.length === 1 && parts[0] === 'snapshot') {
      only('GET');
      await restore(tenant);
      return sendJson(res, 200, snapshot(tenant));
    }
    if (parts.length === 2 && parts[0] === 'calls') {
      only('GET');
      const callId = pathId(parts[1]);
      const call = history.call(tenant, callId) ?? fail('NOT_FOUND', `no call ${callId} in the live history`);
      return sendJson(res, 200, call);
    }
    if (parts.length === 3 && parts[0] === 'alerts' && parts[2] === 'ack') {
      only('POST');
      const alertId = pathId(parts[1]);
      const body = ackBody.safeParse(await readBody(req));
      if (!body.success) fail('BAD_REQUEST', 'the body must be {"by": "who acknowledges (1-64 characters)"}');
      await restore(tenant);
      if (history.ackOf(tenant, alertId) === undefined)
        fail('NOT_FOUND', `no alert ${alertId} in today's alerts`);
      if (history.ackOf(tenant, alertId) === null) {
        const event = history.ackEvent(tenant, alertId, body.data.by)!;
        try {
          await options.publish?.(event);
        } catch (err) {
          options.onError?.(err as Error);
          fail('STORE_UNAVAILABLE', 'the acknowledgement could not be stored; try again');
        }
        history.record(event);
      }
      return sendJson(res, 200, { alertId, ack: history.ackOf(tenant, alertId) });
    }
    fail('NOT_FOUND', `no such wallboard API path ${url.pathname}`);
  };

  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://wallboard');
      if (!url.pathname.startsWith(API_PATH)) return false;
      try {
        await route(req, res, url);
      } catch (err) {
        if (!(err instanceof WallboardApiError)) throw err;
        sendJson(res, STATUS[err.code], { code: err.code, error: detailOf(err) });
      }
      return true;
    },
    close() {
      for (const res of streams) res.end();
    },
  };
}
