// One call over any transport. Protocol adapters (twilio.ts, audiohook.ts, native.ts, grpc.ts) turn
// their messages into calls on a CallSession — authenticate, start, frames / audio / gap, stop,
// send — and the session holds every policy they share, written once:
//  - the start validated by one schema (start.ts) and admitted by the registry, whose refusals are
//    typed (errors.ts RefusalCode);
//  - deadlines: an idle deadline restarted by every message, an auth deadline for a peer that has
//    not yet said who it is (Twilio may carry its token in `start`), a summary deadline after
//    `stop` where the peer waits for the call's events;
//  - one bounded outbox (outbox.ts, drop-oldest) for everything sent to the peer;
//  - one failure path: any error ends the call, is counted and logged once, and reaches the peer
//    in its transport's form (errors.ts maps codes to close codes and gRPC statuses).
// Layering as in Genesys's AudioHook reference server (ServerSession over a ServerWebSocket port):
// adapters ← session ← SessionPort, implemented once per transport (websocket.ts, grpc.ts) and by
// a fake in tests (testing/fakes.ts).
import type { Logger } from 'pino';
import { type AuthConfig, authenticate, type Principal } from '../../../core/auth/tokens.ts';
import type { CallMeta } from '../../../core/calls/meta.ts';
import { detailOf } from '../../../core/errors.ts';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import type { CallRegistry, OpenCall } from './calls.ts';
import { AudioFormatError } from './codec.ts';
import { asIngressError, IngressError, wireOf } from './errors.ts';
import { FrameIngest } from './frames.ts';
import type { EventHub } from './hub.ts';
import type { LiveMetrics } from './metrics.ts';
import { Outbox, type OutboxPort } from './outbox.ts';
import { type CallStart, type MediaFormat, parseCallStart } from './start.ts';

export interface GatewayLimits {
  /** Largest message accepted (bytes); larger ones close the socket with 1009 (gRPC: RESOURCE_EXHAUSTED). */
  maxFrameBytes: number;
  maxConcurrentCalls: number;
  /** A session that receives nothing for this long is closed (4408 idle-timeout). */
  idleTimeoutMs: number;
  /** A session whose peer has not authenticated within this long is closed (1008 auth-timeout). */
  authTimeoutMs: number;
  /** Outbound messages waiting per session or watcher before the oldest is dropped. */
  maxQueuedMessages: number;
  /** Bytes allowed in a socket's send buffer before messages wait in the outbox. */
  highWaterBytes: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxFrameBytes: 64 * 1024,
  maxConcurrentCalls: 1000,
  idleTimeoutMs: 30_000,
  authTimeoutMs: 10_000,
  maxQueuedMessages: 1000,
  highWaterBytes: 1024 * 1024,
};

/** How long after `stop` a peer waiting for its call's events waits for the summary before the session ends anyway. */
export const SUMMARY_WAIT_MS = 15_000;

/** What every session and watcher of the ingress shares. */
export interface IngressContext {
  calls: CallRegistry;
  /** This process's events: a native or gRPC caller's own call echoes from here. */
  hub: EventHub;
  /** What watchers see (/watch, WatchAlerts, WatchCall); default `hub`. The cluster's events on a shared bus (feed/). */
  watchHub?: EventHub;
  auth: AuthConfig;
  limits: GatewayLimits;
  log: Logger;
  metrics?: LiveMetrics;
}

/**
 * A message for the peer: a protocol message (text), or one of the call's events as the hub
 * serialised it, with the event itself so that each transport encodes it its own way.
 */
export type Outgoing = { text: string } | { event: VoicePulseEvent; json: string };

/** What a session needs from its transport. */
export interface SessionPort {
  /** The writable side, behind the session's outbox. */
  readonly out: OutboxPort<Outgoing>;
  /** Ends the exchange normally (WebSocket: close 1000 with `reason`; gRPC: end of the response stream). */
  end(reason: string): void;
  /**
   * Ends it with `err` in the transport's form (close code and reason, gRPC status), after `last`
   * (the protocol's own rendering of the error) when given, else the transport's default.
   */
  fail(err: IngressError, last: Outgoing | undefined): void;
}

export type Protocol = 'twilio' | 'audiohook' | 'native' | 'grpc';

export interface SessionOptions {
  protocol: Protocol;
  /** Where the session came in (the WebSocket path or 'grpc'): the rejection metric's label. */
  path: string;
  /** Who the transport authenticated; absent: `authenticate()` must succeed before the auth deadline. */
  principal?: Principal | undefined;
  /** Push the call's own events to the peer and end the exchange after the summary (native, gRPC). */
  echoEvents?: boolean;
}

/** A one-shot timer that can be restarted and never keeps the process alive. */
class Deadline {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly ms: number,
    private readonly expire: () => void,
  ) {}
  restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.expire, this.ms);
    this.timer.unref();
  }
  cancel(): void {
    clearTimeout(this.timer);
  }
}

/** Counts and logs a refused session or watcher once, then ends it on its port. */
export function refuse(
  ctx: IngressContext,
  path: string,
  port: Pick<SessionPort, 'fail'>,
  err: IngressError,
  last?: Outgoing,
): void {
  const { reason } = wireOf(err);
  ctx.metrics?.rejected.inc({ path, reason });
  if (err.code === 'INTERNAL_ERROR') ctx.log.error({ err: err.cause ?? err, path }, 'session handler failed');
  else ctx.log.warn({ err, path, reason }, 'closing session');
  port.fail(err, last);
}

type State = 'open' | 'started' | 'stopped' | 'closed';

export class CallSession {
  private state: State = 'open';
  private who: Principal | undefined;
  private call: OpenCall | undefined;
  private ingest: FrameIngest | undefined;
  private media: MediaFormat | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly outbox: Outbox<Outgoing>;
  private readonly idle: Deadline;
  private readonly authDeadline: Deadline;
  private readonly summaryDeadline: Deadline;
  private readonly beforeEndHooks: Array<() => void> = [];
  private renderError: (err: IngressError) => string | undefined = () => undefined;

  constructor(
    private readonly ctx: IngressContext,
    private readonly port: SessionPort,
    private readonly options: SessionOptions,
  ) {
    const { limits } = ctx;
    this.outbox = new Outbox(port.out, {
      maxQueued: limits.maxQueuedMessages,
      onDrop: () => ctx.metrics?.watcherDropped.inc(),
    });
    this.idle = new Deadline(limits.idleTimeoutMs, () =>
      this.fail(new IngressError('IDLE_TIMEOUT', `no message for ${limits.idleTimeoutMs} ms`)),
    );
    this.authDeadline = new Deadline(limits.authTimeoutMs, () =>
      this.fail(new IngressError('AUTH_TIMEOUT', `no valid token within ${limits.authTimeoutMs} ms`)),
    );
    this.summaryDeadline = new Deadline(SUMMARY_WAIT_MS, () => this.end('summary timeout'));
    this.who = options.principal;
    this.idle.restart();
    if (!this.who) this.authDeadline.restart();
  }

  get principal(): Principal | undefined {
    return this.who;
  }

  /** The call, once `start` admitted it. */
  get meta(): CallMeta | undefined {
    return this.call?.meta;
  }

  get started(): boolean {
    return this.call !== undefined;
  }

  /** Runs the handler of one incoming message: restarts the idle deadline; what it throws fails the session. */
  handle(message: () => void): void {
    if (this.state === 'closed') return;
    if (this.state !== 'stopped' || !this.options.echoEvents) this.idle.restart();
    try {
      message();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Authenticates with a token the protocol carries in a message (Twilio's `token` parameter). */
  authenticate(token: string | undefined): Principal {
    const who = authenticate(this.ctx.auth, token);
    if (!who) throw new IngressError('UNAUTHORIZED', 'missing or wrong token');
    this.who = who;
    this.authDeadline.cancel();
    return who;
  }

  /** Validates the start (start.ts) and admits the call; throws the IngressError that refuses it. */
  start(input: { meta: unknown; media: unknown }): CallStart {
    if (this.call) throw new IngressError('DUPLICATE_START', 'call already started');
    if (!this.who) throw new IngressError('UNAUTHORIZED', 'missing or wrong token');
    const start = parseCallStart(input);
    this.call = this.ctx.calls.admit(start.meta, this.options.protocol, this.who);
    this.media = start.media;
    this.ingest = new FrameIngest(this.call, start.media);
    this.state = 'started';
    if (this.options.echoEvents)
      this.unsubscribe = this.ctx.hub.subscribeCall(start.meta.callId, {
        send: (json, event) => this.echo(json, event),
      });
    return start;
  }

  /** One binary message of audio in the started call's format (frames.ts). */
  frames(bytes: Uint8Array): void {
    if (!this.ingest) throw new IngressError('AUDIO_BEFORE_START', 'audio before start');
    try {
      this.ingest.push(bytes);
    } catch (err) {
      if (err instanceof AudioFormatError) throw new IngressError('BAD_FRAME', detailOf(err));
      throw err;
    }
  }

  /** Decoded 8 kHz audio of one speaker (protocols that decode per message themselves: Twilio). */
  audio(speaker: SpeakerRole, samples: Float32Array): void {
    if (!this.call) throw new IngressError('AUDIO_BEFORE_START', 'audio before start');
    this.call.audio(speaker, samples);
  }

  /**
   * A span of the call that carried no audio (AudioHook `discarded` / `resumed`): silence on every
   * channel, at most 60 s per gap.
   */
  gap(seconds: number): void {
    if (!this.call || !this.media) return;
    const n = Math.min(8000 * 60, Math.round(seconds * 8000));
    if (n > 0) for (const speaker of this.media.channels) this.call.audio(speaker, new Float32Array(n));
  }

  /** Sets the protocol's last message on a failure (AudioHook's `disconnect`); default: the transport's. */
  renderErrorsWith(render: (err: IngressError) => string | undefined): void {
    this.renderError = render;
  }

  /** Runs `hook` once before the call ends (stop, close or failure): to hand over audio still held. */
  beforeEnd(hook: () => void): void {
    this.beforeEndHooks.push(hook);
  }

  /**
   * The peer's audio is over: the call ends and its last windows and summary follow. A session
   * echoing events then waits for the summary (at most SUMMARY_WAIT_MS) and ends the exchange.
   * Nothing happens before a start (protocols that refuse that say so themselves).
   */
  stop(): void {
    if (this.state !== 'started') return;
    this.state = 'stopped';
    this.endCall();
    if (this.options.echoEvents) {
      this.idle.cancel();
      this.summaryDeadline.restart();
    }
  }

  /** A protocol message for the peer, in order with the call's events. */
  send(text: string): void {
    this.outbox.send({ text });
  }

  /** Fails the session: ends the call and the exchange with the error's wire form. */
  fail(err: unknown): void {
    if (this.state === 'closed') return;
    const e = asIngressError(err);
    this.close();
    const text = this.renderError(e);
    refuse(this.ctx, this.options.path, this.port, e, text === undefined ? undefined : { text });
  }

  /** The transport closed (either side): the call ends. */
  closed(): void {
    this.close();
  }

  private echo(json: string, event: VoicePulseEvent): void {
    this.outbox.send({ json, event });
    if (event.type === 'call_summary') {
      this.unsubscribe?.();
      this.outbox.whenFlushed(() => this.end('call ended'));
    }
  }

  private end(reason: string): void {
    if (this.state === 'closed') return;
    this.close();
    this.port.end(reason);
  }

  private close(): void {
    this.state = 'closed';
    this.idle.cancel();
    this.authDeadline.cancel();
    this.summaryDeadline.cancel();
    this.unsubscribe?.();
    this.endCall();
  }

  private endCall(): void {
    const call = this.call;
    if (!call) return;
    for (const hook of this.beforeEndHooks.splice(0)) hook();
    this.ingest?.flush();
    call.end();
  }
}
