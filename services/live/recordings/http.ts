// The upload API, mounted before the query API: `POST /api/recordings` (the audio as the request
// body, metadata as query parameters) answers 202 with a job id; `GET /api/recordings/{id}` the
// job's status and, when done, its call id and report. Same bearer tokens, tenant isolation and
// per-token rate limits as the query API (a request spends one unit of the same budget); a body over
// `maxBytes` is refused with 413 (by Content-Length at once, else when the stream passes it) and a
// full queue with 503. The body is streamed to the spool folder, never held in memory.
import { createWriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { bearerToken } from '../../../core/auth/bearer.ts';
import { type AuthConfig, authenticate, mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import { idSchema } from '../../../core/calls/meta.ts';
import { SPEAKER_ROLES } from '../../../core/events/schema.ts';
import { sendJson } from '../http.ts';
import type { QueryRateLimiter } from '../query/ratelimit.ts';
import type { JobQueue, RecordingJob } from './jobs.ts';

/** 512 MiB: a 4-hour stereo 16-bit 8 kHz WAV is 461 MB; compressed calls are far smaller. */
export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

export interface RecordingsApiOptions {
  queue: JobQueue;
  auth: AuthConfig;
  /** The query API's limiter: uploads and status reads spend the same per-token budget. */
  limiter: QueryRateLimiter;
  maxBytes?: number;
}

const uploadQuery = z.strictObject({
  tenant: idSchema.optional(),
  callId: idSchema.optional(),
  agent: idSchema.optional(),
  queue: idSchema.optional(),
  startedAt: z.iso
    .datetime({ offset: true })
    .transform((s) => Date.parse(s))
    .optional(),
  customerChannel: z.enum(['left', 'right']).optional(),
  speaker: z.enum(SPEAKER_ROLES).optional(),
});

/** A refused request; `status` is the HTTP status (grpc.ts maps it to a gRPC code). */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The job as the API shows it. */
export function jobView(job: RecordingJob) {
  return {
    id: job.id,
    status: job.status,
    tenant: job.tenantId,
    callId: job.callId,
    createdAt: new Date(job.createdAtMs).toISOString(),
    updatedAt: new Date(job.updatedAtMs).toISOString(),
    bytes: job.bytes,
    error: job.error,
    report: job.report,
  };
}

/**
 * What REST and gRPC share: admission (tenant, rate budget, queue room), an upload streamed to the
 * spool folder under the size limit, and a job's status for its tenant.
 */
export function recordingsDesk(options: RecordingsApiOptions) {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;

  /** Admits one request of `principal` for `tenant` (429 when over budget); returns its release. */
  const admit = (principal: Principal, tenant: string) => {
    const admission = options.limiter.admit(principal, tenant);
    if (!admission.ok)
      throw new Refusal(
        429,
        admission.reason === 'rate'
          ? 'rate limit exceeded for this token'
          : 'too many concurrent queries for this token',
        { retryAfterMs: admission.retryAfterMs },
      );
    return admission.release;
  };

  return {
    /**
     * Validates the upload's fields (the REST query parameters), admits it, streams `body` to the
     * spool folder and queues the job. `declaredBytes`: a Content-Length, refused at once when over.
     */
    async upload(
      principal: Principal,
      fields: Record<string, string>,
      body: AsyncIterable<Uint8Array>,
      declaredBytes = Number.NaN,
    ): Promise<RecordingJob> {
      const parsed = uploadQuery.safeParse(fields);
      if (!parsed.success)
        throw new Refusal(400, 'invalid query parameters', {
          issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`),
        });
      const q = parsed.data;
      const tenant = q.tenant ?? (principal.kind === 'tenant' ? principal.tenantId : principal.defaultTenant);
      if (!mayAccessTenant(principal, tenant))
        throw new Refusal(403, 'this token may not write another tenant');
      if (declaredBytes > maxBytes) throw new Refusal(413, `recording larger than ${maxBytes} bytes`);
      const full = options.queue.accepting();
      if (full)
        throw new Refusal(503, full === 'CLOSED' ? 'shutting down' : 'too many recordings queued', {
          retryAfterMs: 30_000,
        });
      const release = admit(principal, tenant);
      const { id, audioPath } = options.queue.newUpload();
      let bytes = 0;
      // The file is opened asynchronously; a refusal must wait for it to close, or discard() can run
      // before the open and leave a partial upload behind.
      const sink = createWriteStream(audioPath);
      const closed = new Promise<void>((resolve) => sink.once('close', () => resolve()));
      try {
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            done(
              bytes > maxBytes ? new Refusal(413, `recording larger than ${maxBytes} bytes`) : null,
              chunk,
            );
          },
        });
        await pipeline(body, counter, sink);
        if (bytes === 0) throw new Refusal(400, 'no audio in the request body');
        return await options.queue.submit(id, {
          tenantId: tenant,
          bytes,
          given: {
            ...(q.callId ? { callId: q.callId } : {}),
            ...(q.agent ? { agentId: q.agent } : {}),
            ...(q.queue ? { queue: q.queue } : {}),
            ...(q.startedAt !== undefined ? { startedAtMs: q.startedAt } : {}),
          },
          roles: {
            ...(q.customerChannel ? { customerChannel: q.customerChannel } : {}),
            ...(q.speaker ? { monoSpeaker: q.speaker } : {}),
          },
        });
      } catch (err) {
        sink.destroy();
        await closed;
        await options.queue.discard(id);
        throw err;
      } finally {
        release();
      }
    },

    /** The job `id` as its tenant (or the operator) sees it; another tenant's is answered as missing. */
    async status(principal: Principal, id: string): Promise<RecordingJob> {
      const job = await options.queue.get(id);
      if (!job || !mayAccessTenant(principal, job.tenantId)) throw new Refusal(404, `no recording job ${id}`);
      admit(principal, job.tenantId)();
      return job;
    },
  };
}

export function createRecordingsApi(options: RecordingsApiOptions) {
  const desk = recordingsDesk(options);
  const upload = async (req: IncomingMessage, res: ServerResponse, principal: Principal, url: URL) => {
    const fields = Object.fromEntries(url.searchParams);
    if (Object.keys(fields).length !== [...url.searchParams.keys()].length)
      throw new Refusal(400, 'a query parameter is given more than once');
    try {
      const job = await desk.upload(
        principal,
        fields,
        req,
        Number(req.headers['content-length'] ?? Number.NaN),
      );
      sendJson(res, 202, jobView(job), { location: `/api/recordings/${job.id}` });
    } catch (err) {
      // A refused body is not read to its end: close the connection rather than drain it.
      if (err instanceof Refusal) res.setHeader('connection', 'close');
      throw err;
    }
  };

  return {
    async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = /^\/api\/recordings(?:\/([^/]+))?$/.exec(url.pathname);
      if (!match) return false;
      try {
        const principal = authenticate(options.auth, bearerToken(req.headers.authorization));
        if (!principal) {
          res.setHeader('www-authenticate', 'Bearer');
          throw new Refusal(401, 'missing or invalid bearer token');
        }
        const id = match[1];
        if (id === undefined) {
          if (req.method !== 'POST') throw new Refusal(405, 'POST a recording here');
          await upload(req, res, principal, url);
          return true;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new Refusal(405, 'only GET');
        sendJson(res, 200, jobView(await desk.status(principal, decodeURIComponent(id))));
        return true;
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        const retry = err.extra.retryAfterMs;
        sendJson(
          res,
          err.status,
          { error: err.message, ...err.extra },
          typeof retry === 'number' ? { 'retry-after': String(Math.ceil(retry / 1000)) } : {},
        );
        return true;
      }
    },
  };
}
