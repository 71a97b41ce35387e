// gRPC ingress and watchers (proto/voicepulse.proto): StreamCall (audio in, the call's events out),
// WatchAlerts (a tenant's alerts) and WatchCall (one call's events). Same auth token, limits, call
// registry and event hub as the WebSocket paths; errors map to gRPC status codes.
import * as grpc from '@grpc/grpc-js';
import { bearerToken } from '../../../core/auth/bearer.ts';
import { authenticate, mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import { loadProto } from '../../../proto/load.ts';
import { CallAdmissionError } from './calls.ts';
import { AudioFormatError, type Codec } from './codec.ts';
import type { EventSink } from './hub.ts';
import { InterleavedIngest } from './interleaved.ts';
import type { GatewayContext } from './session.ts';

const CODEC: Record<string, Codec> = { CODEC_PCM16: 'pcm16', CODEC_MULAW: 'mulaw', CODEC_ALAW: 'alaw' };
const SPEAKER: Record<string, SpeakerRole> = { SPEAKER_CUSTOMER: 'customer', SPEAKER_AGENT: 'agent' };
const SPEAKER_ENUM: Record<SpeakerRole, string> = { customer: 'SPEAKER_CUSTOMER', agent: 'SPEAKER_AGENT' };

/** The generated service constructor (client side) and definition (server side). */
export function voicePulseService(): grpc.ServiceClientConstructor {
  const pkg = loadProto('voicepulse.proto') as unknown as {
    voicepulse: { v1: { VoicePulse: grpc.ServiceClientConstructor } };
  };
  return pkg.voicepulse.v1.VoicePulse;
}

export interface StreamCallRequest {
  msg: 'start' | 'chunk' | 'stop';
  start?: {
    callId: string;
    tenant: string;
    agent: string;
    queue: string;
    codec: string;
    sampleRate: number;
    channels: string[];
  };
  chunk?: { audio: Buffer };
}

/** A VoicePulse event in its protobuf shape. */
export function toProtoEvent(e: VoicePulseEvent): Record<string, unknown> {
  const envelope = {
    schemaVersion: e.schemaVersion,
    eventId: e.eventId,
    tenantId: e.tenantId,
    callId: e.callId,
    agentId: e.agentId ?? '',
    queue: e.queue ?? '',
    producedAtMs: e.producedAtMs,
  };
  if (e.type === 'score')
    return {
      envelope,
      score: {
        speaker: SPEAKER_ENUM[e.speaker],
        windowStartMs: e.windowStartMs,
        windowEndMs: e.windowEndMs,
        probs: e.probs,
        valence: e.valence,
        arousal: e.arousal,
        frustration: e.frustration,
        speechRatio: e.speechRatio,
        modelVersion: e.modelVersion,
      },
    };
  if (e.type === 'alert')
    return {
      envelope,
      alert: {
        rule: e.rule,
        speaker: SPEAKER_ENUM[e.speaker],
        severity: e.severity,
        atMs: e.atMs,
        value: e.value,
        threshold: e.threshold,
        message: e.message,
      },
    };
  return { envelope, callSummary: { json: JSON.stringify(e) } };
}

const ADMISSION_STATUS: Record<CallAdmissionError['reason'], grpc.status> = {
  limit: grpc.status.RESOURCE_EXHAUSTED,
  duplicate: grpc.status.ALREADY_EXISTS,
  forbidden: grpc.status.PERMISSION_DENIED,
  unavailable: grpc.status.UNAVAILABLE,
};

class GrpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function authorize(ctx: GatewayContext, metadata: grpc.Metadata): Principal {
  const header = String(metadata.get('authorization')[0] ?? '');
  const who = authenticate(ctx.auth, bearerToken(header));
  if (!who) throw new GrpcError(grpc.status.UNAUTHENTICATED, 'missing or wrong bearer token');
  return who;
}

function fail(
  call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  err: unknown,
) {
  const e = err instanceof GrpcError ? err : new GrpcError(grpc.status.INTERNAL, (err as Error).message);
  call.emit('error', { code: e.code, details: e.message });
}

/** An event sink writing to a gRPC stream; past maxQueued unsent messages the newest is dropped and counted. */
function streamSink(
  ctx: GatewayContext,
  call: { write(chunk: unknown): boolean; readonly writableLength: number },
  filter?: (e: VoicePulseEvent) => boolean,
): EventSink {
  return {
    send(_message, event) {
      if (filter && !filter(event)) return;
      if (call.writableLength >= ctx.limits.maxQueuedMessages) {
        ctx.metrics?.watcherDropped.inc();
        return;
      }
      call.write(toProtoEvent(event));
    },
  };
}

function streamCall(ctx: GatewayContext, call: grpc.ServerDuplexStream<StreamCallRequest, unknown>): void {
  let ingest: InterleavedIngest | undefined;
  let unsubscribe: (() => void) | undefined;
  let idle: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        stop(new GrpcError(grpc.status.DEADLINE_EXCEEDED, `no message for ${ctx.limits.idleTimeoutMs} ms`)),
      ctx.limits.idleTimeoutMs,
    );
    idle.unref();
  };
  const stop = (err?: unknown) => {
    clearTimeout(idle);
    ingest?.finish();
    if (err) {
      ctx.metrics?.rejected.inc({
        path: 'grpc',
        reason: err instanceof GrpcError ? grpc.status[err.code] : 'internal',
      });
      unsubscribe?.();
      fail(call, err);
    }
  };
  let principal: Principal;
  try {
    principal = authorize(ctx, call.metadata);
  } catch (err) {
    stop(err);
    return;
  }
  touch();
  call.on('data', (req: StreamCallRequest) => {
    touch();
    try {
      if (req.msg === 'start') {
        const s = req.start!;
        if (ingest) throw new GrpcError(grpc.status.FAILED_PRECONDITION, 'call already started');
        if (!s.callId || !s.tenant || s.callId.length > 128 || s.tenant.length > 128)
          throw new GrpcError(
            grpc.status.INVALID_ARGUMENT,
            'start needs callId and tenant (1-128 characters)',
          );
        const codec = CODEC[s.codec];
        if (!codec) throw new GrpcError(grpc.status.INVALID_ARGUMENT, `unsupported codec ${s.codec}`);
        const speakers = s.channels.map((c) => SPEAKER[c]);
        if (
          speakers.length < 1 ||
          speakers.length > 2 ||
          speakers.some((x) => !x) ||
          new Set(speakers).size !== speakers.length
        )
          throw new GrpcError(
            grpc.status.INVALID_ARGUMENT,
            'channels must name customer and/or agent, each once',
          );
        if (!(s.sampleRate >= 8000 && s.sampleRate <= 48000))
          throw new GrpcError(grpc.status.INVALID_ARGUMENT, `sample rate ${s.sampleRate} is not 8000-48000`);
        const open = ctx.calls.start(
          { callId: s.callId, tenantId: s.tenant, agentId: s.agent || null, queue: s.queue || null },
          'grpc',
          principal,
        );
        try {
          ingest = new InterleavedIngest(open, codec, s.sampleRate, speakers as SpeakerRole[], 'interleaved');
        } catch (err) {
          open.end();
          throw err;
        }
        const sink = streamSink(ctx, call);
        unsubscribe = ctx.hub.subscribeCall(s.callId, {
          send: (message, event) => {
            sink.send(message, event);
            if (event.type === 'call_summary') {
              unsubscribe?.();
              call.end();
            }
          },
        });
      } else if (req.msg === 'chunk') {
        if (!ingest) throw new GrpcError(grpc.status.FAILED_PRECONDITION, 'audio before start');
        ingest.push(new Uint8Array(req.chunk!.audio));
      } else if (req.msg === 'stop') {
        if (!ingest) throw new GrpcError(grpc.status.FAILED_PRECONDITION, 'stop before start');
        stop();
      } else throw new GrpcError(grpc.status.INVALID_ARGUMENT, 'empty request');
    } catch (err) {
      if (err instanceof AudioFormatError) stop(new GrpcError(grpc.status.INVALID_ARGUMENT, err.message));
      else if (err instanceof CallAdmissionError)
        stop(new GrpcError(ADMISSION_STATUS[err.reason], err.message));
      else stop(err);
    }
  });
  call.on('end', () => stop());
  call.on('cancelled', () => {
    stop();
    unsubscribe?.();
  });
}

function watch(
  ctx: GatewayContext,
  call: grpc.ServerWritableStream<
    { tenant?: string; agent?: string; queue?: string; callId?: string },
    unknown
  >,
  kind: 'alerts' | 'call',
): void {
  try {
    const principal = authorize(ctx, call.metadata);
    const r = call.request;
    let unsubscribe: () => void;
    if (kind === 'alerts') {
      if (!r.tenant) throw new GrpcError(grpc.status.INVALID_ARGUMENT, 'tenant is required');
      if (!mayAccessTenant(principal, r.tenant))
        throw new GrpcError(grpc.status.PERMISSION_DENIED, `this token may not watch tenant ${r.tenant}`);
      unsubscribe = ctx.hub.subscribeTenant(
        r.tenant,
        streamSink(
          ctx,
          call,
          (e) =>
            e.type === 'alert' && (!r.agent || e.agentId === r.agent) && (!r.queue || e.queue === r.queue),
        ),
      );
    } else {
      if (!r.callId) throw new GrpcError(grpc.status.INVALID_ARGUMENT, 'callId is required');
      unsubscribe = ctx.hub.subscribeCall(
        r.callId,
        streamSink(ctx, call, (e) => mayAccessTenant(principal, e.tenantId)),
      );
    }
    call.on('cancelled', unsubscribe);
    call.on('close', unsubscribe);
  } catch (err) {
    fail(call, err);
  }
}

export interface GrpcServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Another service served on the gateway's gRPC port (the query API). */
export interface ExtraGrpcService {
  service: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export async function startGrpcServer(
  ctx: GatewayContext,
  host: string,
  port: number,
  extra: readonly ExtraGrpcService[] = [],
): Promise<GrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': ctx.limits.maxFrameBytes + 1024,
  });
  for (const e of extra) server.addService(e.service, e.implementation);
  server.addService(voicePulseService().service, {
    streamCall: (call: grpc.ServerDuplexStream<StreamCallRequest, unknown>) => streamCall(ctx, call),
    watchAlerts: (call: grpc.ServerWritableStream<{ tenant: string }, unknown>) => watch(ctx, call, 'alerts'),
    watchCall: (call: grpc.ServerWritableStream<{ callId: string }, unknown>) => watch(ctx, call, 'call'),
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      }),
  };
}
