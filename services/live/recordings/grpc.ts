// Recorded-call uploads over gRPC (proto/recordings.proto): the REST upload's desk (http.ts) behind
// a client-streaming UploadRecording (metadata first, then the audio bytes) and a unary
// GetRecordingJob, so validation, tenant isolation, size and rate limits are the REST ones; HTTP
// statuses map to gRPC codes once, here.
import * as grpc from '@grpc/grpc-js';
import { bearerToken } from '../../../core/auth/bearer.ts';
import { authenticate, type Principal } from '../../../core/auth/tokens.ts';
import { loadProto } from '../../../proto/load.ts';
import { jobView, type RecordingsApiOptions, Refusal, recordingsDesk } from './http.ts';
import type { RecordingJob } from './jobs.ts';

export function recordingsService(): grpc.ServiceClientConstructor {
  const pkg = loadProto('recordings.proto') as unknown as {
    voicepulse: { recordings: { v1: { Recordings: grpc.ServiceClientConstructor } } };
  };
  return pkg.voicepulse.recordings.v1.Recordings;
}

const GRPC_STATUS: Readonly<Record<number, grpc.status>> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  413: grpc.status.RESOURCE_EXHAUSTED,
  429: grpc.status.RESOURCE_EXHAUSTED,
  503: grpc.status.UNAVAILABLE,
};

/** The proto's field names (camelCase as loaded) → the REST parameters. */
const FIELDS: Readonly<Record<string, string>> = {
  tenant: 'tenant',
  callId: 'callId',
  agent: 'agent',
  queue: 'queue',
  startedAt: 'startedAt',
  customerChannel: 'customerChannel',
  speaker: 'speaker',
};

function toMessage(job: RecordingJob) {
  const v = jobView(job);
  return {
    id: v.id,
    status: v.status,
    tenant: v.tenant,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    bytes: v.bytes,
    ...(v.callId !== null ? { callId: v.callId } : {}),
    ...(v.error !== null ? { error: v.error } : {}),
    ...(v.report !== null ? { reportJson: JSON.stringify(v.report) } : {}),
  };
}

function toStatus(err: unknown): grpc.ServiceError | Partial<grpc.StatusObject> {
  if (!(err instanceof Refusal)) return { code: grpc.status.INTERNAL, details: 'internal error' };
  const metadata = new grpc.Metadata();
  const retry = err.extra.retryAfterMs;
  if (typeof retry === 'number') metadata.set('grpc-retry-pushback-ms', String(retry));
  const issues = Array.isArray(err.extra.issues) ? `: ${err.extra.issues.join('; ')}` : '';
  return {
    code: GRPC_STATUS[err.status] ?? grpc.status.UNKNOWN,
    details: `${err.message}${issues}`,
    metadata,
  };
}

interface Chunk {
  metadata?: Record<string, string>;
  audio?: Buffer;
  part?: 'metadata' | 'audio';
}

export function recordingsGrpcImplementation(
  options: RecordingsApiOptions,
): grpc.UntypedServiceImplementation {
  const desk = recordingsDesk(options);
  const principalOf = (metadata: grpc.Metadata): Principal => {
    const principal = authenticate(options.auth, bearerToken(metadata.get('authorization')[0]?.toString()));
    if (!principal) throw new Refusal(401, 'missing or invalid bearer token');
    return principal;
  };
  const uploadRecording: grpc.handleClientStreamingCall<Chunk, unknown> = (call, callback) => {
    const messages = call[Symbol.asyncIterator]() as AsyncIterator<Chunk>;
    (async () => {
      const principal = principalOf(call.metadata);
      const first = await messages.next();
      if (first.done || first.value.part !== 'metadata')
        throw new Refusal(400, 'the first message must carry the metadata');
      const fields = Object.fromEntries(
        Object.entries(first.value.metadata ?? {})
          .filter(([k, v]) => FIELDS[k] && v !== '')
          .map(([k, v]) => [FIELDS[k]!, v]),
      );
      async function* audio(): AsyncGenerator<Uint8Array> {
        for (let m = await messages.next(); !m.done; m = await messages.next()) {
          if (m.value.part !== 'audio') throw new Refusal(400, 'metadata may come only first');
          if (m.value.audio && m.value.audio.length > 0) yield m.value.audio;
        }
      }
      return desk.upload(principal, fields, audio());
    })().then(
      (job) => callback(null, toMessage(job)),
      (err: unknown) => callback(toStatus(err)),
    );
  };
  const getRecordingJob: grpc.handleUnaryCall<{ id: string }, unknown> = (call, callback) => {
    (async () => desk.status(principalOf(call.metadata), call.request.id))().then(
      (job) => callback(null, toMessage(job)),
      (err: unknown) => callback(toStatus(err)),
    );
  };
  return { uploadRecording, getRecordingJob };
}
