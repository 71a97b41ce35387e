// The gRPC transport (proto/voicepulse.proto), on its own port next to the WebSocket paths.
// StreamCall is a call session over the duplex stream: the proto's oneof start / chunk / stop is
// the protocol (its shape checked by protobuf, its values by the session's start schema), and the
// response stream carries the call's events until the summary. WatchAlerts and WatchCall are
// watchers (watch.ts). Same auth, limits, call registry, event hub, outbox policy and error table
// (errors.ts: one gRPC status per code) as the WebSocket paths.
import * as grpc from '@grpc/grpc-js';
import { bearerToken } from '../../../core/auth/bearer.ts';
import { authenticate } from '../../../core/auth/tokens.ts';
import { detailOf } from '../../../core/errors.ts';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import { voicePulseService } from '../../../proto/load.ts';
import type { Codec } from './codec.ts';
import { asIngressError, IngressError, wireOf } from './errors.ts';
import type { OutboxPort } from './outbox.ts';
import { CallSession, type IngressContext, type Outgoing, refuse, type SessionPort } from './session.ts';
import { type WatchTarget, watch } from './watch.ts';

const CODEC: Record<string, Codec> = { CODEC_PCM16: 'pcm16', CODEC_MULAW: 'mulaw', CODEC_ALAW: 'alaw' };
const SPEAKER: Record<string, SpeakerRole> = { SPEAKER_CUSTOMER: 'customer', SPEAKER_AGENT: 'agent' };
const SPEAKER_ENUM: Record<SpeakerRole, string> = { customer: 'SPEAKER_CUSTOMER', agent: 'SPEAKER_AGENT' };

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

/** The token of a call's `authorization: Bearer …` metadata. */
function metadataToken(metadata: grpc.Metadata): string | undefined {
  return bearerToken(metadata.get('authorization')[0]?.toString());
}

type ServerStream = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** A server stream's writable side for an outbox: the stream's own buffer up to its high-water mark. */
function streamOutboxPort(call: ServerStream): OutboxPort<Outgoing> {
  return {
    // gRPC carries events only; the protocol has no text messages.
    write: (m) => {
      if ('event' in m) call.write(toProtoEvent(m.event));
    },
    saturated: () => call.writableNeedDrain,
    onWritable: (retry) => call.once('drain', retry),
    isOpen: () => !call.writableEnded && !call.destroyed && !call.cancelled,
  };
}

/** A server stream as a session's (or watcher's) port: the status of errors.ts on failure. */
function streamPort(call: ServerStream): SessionPort {
  return {
    out: streamOutboxPort(call),
    end: () => call.end(),
    fail: (err) => {
      call.emit('error', { code: wireOf(err).grpc, details: detailOf(err) });
    },
  };
}

/** StreamCall as a call session: start, then chunks of whole interleaved frames, then stop. */
function streamCall(ctx: IngressContext, call: grpc.ServerDuplexStream<StreamCallRequest, unknown>): void {
  const session = new CallSession(ctx, streamPort(call), {
    protocol: 'grpc',
    path: 'grpc',
    echoEvents: true,
  });
  const handlers: { [K in StreamCallRequest['msg']]: (req: StreamCallRequest) => void } = {
    start: ({ start: s }) =>
      session.start({
        meta: { callId: s!.callId, tenantId: s!.tenant, agentId: s!.agent || null, queue: s!.queue || null },
        media: {
          codec: CODEC[s!.codec] ?? s!.codec,
          sampleRate: s!.sampleRate,
          channels: s!.channels.map((c) => SPEAKER[c] ?? c),
          framing: 'interleaved',
        },
      }),
    chunk: ({ chunk }) => session.frames(new Uint8Array(chunk!.audio)),
    stop: () => {
      if (!session.started) throw new IngressError('UNKNOWN_CALL', 'stop before start');
      session.stop();
    },
  };
  session.handle(() => session.authenticate(metadataToken(call.metadata)));
  call.on('data', (req: StreamCallRequest) =>
    session.handle(() => {
      const handler = handlers[req.msg];
      if (!handler) throw new IngressError('INVALID_MESSAGE', 'empty request: set start, chunk or stop');
      handler(req);
    }),
  );
  // The client's half-close ends its audio; the response stream ends after the summary.
  call.on('end', () => session.stop());
  call.on('cancelled', () => session.closed());
  call.on('close', () => session.closed());
}

/** WatchAlerts and WatchCall: watchers over a server stream. */
function watchStream(
  ctx: IngressContext,
  call: grpc.ServerWritableStream<WatchRequest, unknown>,
  target: (r: WatchRequest) => { target: WatchTarget; filter?: (e: VoicePulseEvent) => boolean },
): void {
  const port = streamPort(call);
  try {
    const principal = authenticate(ctx.auth, metadataToken(call.metadata));
    if (!principal) throw new IngressError('UNAUTHORIZED', 'missing or wrong bearer token');
    const t = target(call.request);
    const unsubscribe = watch(ctx, port.out, principal, t.target, t.filter);
    call.on('cancelled', unsubscribe);
    call.on('close', unsubscribe);
  } catch (err) {
    refuse(ctx, 'grpc', port, asIngressError(err));
  }
}

interface WatchRequest {
  tenant?: string;
  agent?: string;
  queue?: string;
  callId?: string;
}

function alertsOf(r: WatchRequest) {
  if (!r.tenant) throw new IngressError('BAD_WATCH_TARGET', 'tenant is required');
  return {
    target: { tenant: r.tenant },
    filter: (e: VoicePulseEvent) =>
      e.type === 'alert' && (!r.agent || e.agentId === r.agent) && (!r.queue || e.queue === r.queue),
  };
}

function callOf(r: WatchRequest) {
  if (!r.callId) throw new IngressError('BAD_WATCH_TARGET', 'callId is required');
  return { target: { callId: r.callId } };
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
  ctx: IngressContext,
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
    watchAlerts: (call: grpc.ServerWritableStream<WatchRequest, unknown>) => watchStream(ctx, call, alertsOf),
    watchCall: (call: grpc.ServerWritableStream<WatchRequest, unknown>) => watchStream(ctx, call, callOf),
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
