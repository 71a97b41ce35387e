// The query API over gRPC (proto/query.proto). Each RPC is turned into the REST path and query
// parameters it corresponds to and run by the same QueryRunner, so validation, tenant isolation and
// results are those of /api/*; QueryError codes map to gRPC status codes (rate limited:
// RESOURCE_EXHAUSTED with the wait in `grpc-retry-pushback-ms`, which grpc clients' retry honours).
import * as grpc from '@grpc/grpc-js';
import { bearerToken } from '../../../core/auth/bearer.ts';
import { authenticate } from '../../../core/auth/tokens.ts';
import { detailOf } from '../../../core/errors.ts';
import { loadProto } from '../../../proto/load.ts';
import {
  createQueryRunner,
  limiterOf,
  type QueryApiOptions,
  QueryError,
  type QueryErrorCode,
  RateLimitedError,
} from './api.ts';

/** The generated service constructor (client side); `.service` is the server-side definition. */
export function queryService(): grpc.ServiceClientConstructor {
  const pkg = loadProto('query.proto') as unknown as {
    voicepulse: { query: { v1: { Query: grpc.ServiceClientConstructor } } };
  };
  return pkg.voicepulse.query.v1.Query;
}

/** The gRPC edge's status for each refusal (api.ts's HTTP_STATUS is the REST one). */
const GRPC_STATUS: Readonly<Record<QueryErrorCode, grpc.status>> = {
  INVALID_REQUEST: grpc.status.INVALID_ARGUMENT,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  FORBIDDEN: grpc.status.PERMISSION_DENIED,
  NOT_FOUND: grpc.status.NOT_FOUND,
  METHOD_NOT_ALLOWED: grpc.status.UNIMPLEMENTED,
  RATE_LIMITED: grpc.status.RESOURCE_EXHAUSTED,
};

interface RangeMessage {
  fromMs?: number | null;
  toMs?: number | null;
  tz?: string;
}

/** Request fields → the REST query string: empty strings, zero limits and unset optionals are "not given". */
function params(fields: Record<string, string | number | null | undefined>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null || v === '' || (k === 'limit' && v === 0)) continue;
    out.set(k, String(v));
  }
  return out;
}

const rangeParams = (r: RangeMessage | null | undefined) => ({ from: r?.fromMs, to: r?.toMs, tz: r?.tz });

/** JSON nulls become unset proto3 optionals. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  }
  return value;
}

type Request = Record<string, unknown>;

export function queryGrpcImplementation(options: QueryApiOptions): grpc.UntypedServiceImplementation {
  const runner = createQueryRunner({ ...options, limiter: limiterOf(options) });
  const unary =
    (
      toRest: (req: Request) => { path: string; params: URLSearchParams },
    ): grpc.handleUnaryCall<Request, unknown> =>
    (call, callback) => {
      const principal = authenticate(
        options.auth,
        bearerToken(call.metadata.get('authorization')[0]?.toString()),
      );
      if (!principal) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or invalid bearer token' });
        return;
      }
      // proto/query.proto: the operator token names its tenant (REST falls back to the default tenant).
      if (principal.kind === 'operator' && !call.request.tenant) {
        callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: 'tenant is required with the operator token',
        });
        return;
      }
      let rest: { path: string; params: URLSearchParams };
      try {
        rest = toRest(call.request);
      } catch (err) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
        return;
      }
      runner.run(principal, rest.path, rest.params).then(
        (result) => callback(null, dropNulls(result)),
        (err: unknown) => {
          if (err instanceof QueryError) {
            const details = err.issues ? `${detailOf(err)}: ${err.issues.join('; ')}` : detailOf(err);
            const metadata = new grpc.Metadata();
            if (err instanceof RateLimitedError)
              metadata.set('grpc-retry-pushback-ms', String(err.retryAfterMs));
            callback({ code: GRPC_STATUS[err.code], details, metadata });
          } else {
            options.onError?.(err instanceof Error ? err : new Error(String(err)));
            callback({ code: grpc.status.INTERNAL, details: 'internal error' });
          }
        },
      );
    };
  // Path segments are encoded, so an id cannot address another route; a missing one is the
  // caller's error, named as the proto names the field.
  const seg = (v: unknown, field: string) => {
    if (!v) throw new Error(`${field} is required`);
    return encodeURIComponent(String(v));
  };
  return {
    getCallTimeline: unary((r) => ({
      path: `/api/calls/${seg(r.callId, 'call_id')}/timeline`,
      params: params({ tenant: r.tenant as string }),
    })),
    getAgentScorecard: unary((r) => ({
      path: `/api/agents/${seg(r.agentId, 'agent_id')}/scorecard`,
      params: params({ ...rangeParams(r.range as RangeMessage), tenant: r.tenant as string }),
    })),
    getTrend: unary((r) => ({
      path: r.queue ? `/api/queues/${seg(r.queue, 'queue')}/trend` : '/api/trend',
      params: params({
        ...rangeParams(r.range as RangeMessage),
        bucket: r.bucket as string,
        tenant: r.tenant as string,
      }),
    })),
    searchCalls: unary((r) => ({
      path: '/api/calls',
      params: params({
        ...rangeParams(r.range as RangeMessage),
        agent: r.agent as string,
        queue: r.queue as string,
        minFrustration: r.minFrustration as number | null,
        emotion: r.emotion as string,
        minEmotion: r.minEmotion as number | null,
        sort: r.sort as string,
        limit: r.limit as number,
        cursor: r.cursor as string,
        tenant: r.tenant as string,
      }),
    })),
  };
}

export interface QueryGrpcServer {
  port: number;
  stop(): Promise<void>;
}

/** A standalone gRPC server for the query service (or add `queryService().service` to another). */
export async function startQueryGrpcServer(
  options: QueryApiOptions,
  host: string,
  port: number,
): Promise<QueryGrpcServer> {
  const server = new grpc.Server();
  server.addService(queryService().service, queryGrpcImplementation(options));
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port: bound,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
