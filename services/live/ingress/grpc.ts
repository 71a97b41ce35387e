// The gRPC transport (proto/voicepulse.proto), on its own port next to the WebSocket paths.
// StreamCall is a call session over the duplex stream: the proto's oneof start / chunk / stop is
// the protocol (its shape checked by protobuf, its values by the session's start schema, errors
// naming the proto's fields), and the response stream carries the call's events until the summary.
// WatchAlerts and WatchCall are watchers (watch.ts); WatchCall ends after the call's summary. Same
// auth, limits, call registry, event hub, outbox policy and error table (errors.ts: one gRPC status
// per code) as the WebSocket paths.
// The port: our own socket server takes each connection (the connection caps of connections.ts;
// a peer that has not begun HTTP/2 by the auth deadline is cut off) and hands it to grpc-js, whose
// options close connections idle for the idle timeout and age connections out (with a grace long
// enough for a call). Also served: grpc.health.v1.Health (Check, Watch: SERVING while the call
// registry admits calls, as /healthz and /readyz say) and server reflection (grpcurl list/describe).
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { bearerToken } from '../../../core/auth/bearer.ts';
import { authenticate } from '../../../core/auth/tokens.ts';
import { detailOf } from '../../../core/errors.ts';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import { voicePulseService } from '../../../proto/load.ts';
import type { Codec } from './codec.ts';
import { asIngressError, IngressError, wireOf } from './errors.ts';
import type { OutboxPort } from './outbox.ts';
import { addReflection } from './reflection.ts';
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
    customer: string;
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
    customerId: e.customerId ?? '',
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
        ...(e.explanation && { explanation: e.explanation }),
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

/** The start's fields as proto/voicepulse.proto names them, for error messages. */
const START_FIELDS: Record<string, string> = {
  'meta.callId': 'start.call_id',
  'meta.tenantId': 'start.tenant',
  'meta.agentId': 'start.agent',
  'meta.queue': 'start.queue',
  'meta.customerId': 'start.customer',
  'media.codec': 'start.codec',
  'media.sampleRate': 'start.sample_rate',
  'media.channels': 'start.channels',
};

/** StreamCall as a call session: start, then chunks of whole interleaved frames, then stop. */
function streamCall(ctx: IngressContext, call: grpc.ServerDuplexStream<StreamCallRequest, unknown>): void {
  const session = new CallSession(ctx, streamPort(call), {
    protocol: 'grpc',
    path: 'grpc',
    echoEvents: true,
    fieldName: (path) => START_FIELDS[path] ?? path,
  });
  const handlers: { [K in StreamCallRequest['msg']]: (req: StreamCallRequest) => void } = {
    start: ({ start: s }) =>
      session.start({
        meta: {
          callId: s!.callId,
          tenantId: s!.tenant,
          agentId: s!.agent || null,
          queue: s!.queue || null,
          ...(s!.customer ? { customerId: s!.customer } : {}),
        },
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
    const unsubscribe = watch(ctx, port, principal, t.target, t.filter);
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
  if (!r.callId) throw new IngressError('BAD_WATCH_TARGET', 'call_id is required');
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

const HEALTH_SERVICE = 'grpc.health.v1.Health';
/** An established connection lives this long before it is asked to go (GOAWAY) ... */
const MAX_CONNECTION_AGE_MS = 60 * 60_000;
/** ... and its calls may go on this much longer: a call is never cut by the connection's age. */
const MAX_CONNECTION_AGE_GRACE_MS = 4 * 60 * 60_000;
/** The HTTP/2 client preface: a connection that has not sent it by the auth deadline is not gRPC. */
const HTTP2_PREFACE_BYTES = 24;

/** The fully-qualified name of a service definition (its methods' paths are /package.Service/Method). */
function serviceName(service: grpc.ServiceDefinition): string {
  return (Object.values(service)[0]?.path ?? '').split('/')[1] ?? '';
}

export async function startGrpcServer(
  ctx: IngressContext,
  host: string,
  port: number,
  extra: readonly ExtraGrpcService[] = [],
): Promise<GrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': ctx.limits.maxFrameBytes + 1024,
    'grpc.max_connection_idle_ms': ctx.limits.idleTimeoutMs,
    'grpc.max_connection_age_ms': MAX_CONNECTION_AGE_MS,
    'grpc.max_connection_age_grace_ms': MAX_CONNECTION_AGE_GRACE_MS,
  });
  for (const e of extra) server.addService(e.service, e.implementation);
  const voicePulse = voicePulseService().service;
  server.addService(voicePulse, {
    streamCall: (call: grpc.ServerDuplexStream<StreamCallRequest, unknown>) => streamCall(ctx, call),
    watchAlerts: (call: grpc.ServerWritableStream<WatchRequest, unknown>) => watchStream(ctx, call, alertsOf),
    watchCall: (call: grpc.ServerWritableStream<WatchRequest, unknown>) => watchStream(ctx, call, callOf),
  });
  const served = [serviceName(voicePulse), ...extra.map((e) => serviceName(e.service))];

  // Health: '' (the server) and each service, SERVING while new calls are admitted.
  const health = new HealthImplementation();
  let status: ServingStatus | undefined;
  const updateHealth = (next: ServingStatus) => {
    if (next === status) return;
    status = next;
    for (const name of ['', ...served]) health.setStatus(name, next);
  };
  updateHealth(ctx.calls.serving ? 'SERVING' : 'NOT_SERVING');
  const healthPoll = setInterval(() => updateHealth(ctx.calls.serving ? 'SERVING' : 'NOT_SERVING'), 1000);
  healthPoll.unref();
  health.addToServer(server);

  // Reflection over what this port serves, so grpcurl can list and describe it.
  addReflection(server, [...served, HEALTH_SERVICE]);

  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  const front: NetServer = createServer((socket) => {
    const slot = ctx.connections.tryOpen(socket.remoteAddress);
    if ('refused' in slot) {
      ctx.metrics?.rejected.inc({ path: 'grpc', reason: 'connection-limit' });
      ctx.log.warn({ address: socket.remoteAddress, reason: slot.refused }, 'gRPC connection refused');
      socket.destroy();
      return;
    }
    sockets.add(socket);
    ctx.metrics?.connections.inc({ path: 'grpc' });
    ctx.metrics?.openConnections.inc({ transport: 'grpc' });
    const preface = setTimeout(() => {
      if (socket.bytesRead >= HTTP2_PREFACE_BYTES) return;
      ctx.metrics?.rejected.inc({ path: 'grpc', reason: 'auth-timeout' });
      socket.destroy();
    }, ctx.limits.authTimeoutMs);
    preface.unref();
    socket.once('close', () => {
      clearTimeout(preface);
      slot.release();
      sockets.delete(socket);
      ctx.metrics?.openConnections.dec({ transport: 'grpc' });
    });
    injector.injectConnection(socket);
  });
  const bound = await new Promise<number>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, host, () => resolve((front.address() as { port: number }).port));
  });
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(healthPoll);
        updateHealth('NOT_SERVING');
        front.close();
        const done = () => {
          for (const s of sockets) s.destroy();
          resolve();
        };
        server.tryShutdown(done);
        setTimeout(() => {
          server.forceShutdown();
          done();
        }, 1000).unref();
      }),
  };
}
