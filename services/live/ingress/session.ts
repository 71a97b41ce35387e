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
//    in its transport's form (errors.ts maps codes to close codes and gRPC statuses); a protocol
//    with a close transaction (AudioHook) gets its last message out and the peer's close answered
//    before the transport closes;
//  - gaps in the audio (AudioHook hold and `discarded`, lost Twilio chunks) move a speaker's
//    timeline on (a gap for the scoring threads, reported as hold; never audio allocated), and never
//    further in total than the wall-clock time since the start: a peer cannot claim more time than
//    has passed.
// Layering as in Genesys's AudioHook reference server (ServerSession over a ServerWebSocket port):
// adapters ← session ← SessionPort, implemented once per transport (websocket.ts, grpc.ts) and by
// a fake in tests (testing/fakes.ts).
import type { Logger } from 'pino';
import type { AudioHookCredentials } from '../../../core/auth/audiohook.ts';
import { type AuthConfig, authenticate, mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import type { CallMeta } from '../../../core/calls/meta.ts';
import { detailOf } from '../../../core/errors.ts';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import type { CallRegistry, OpenCall } from './calls.ts';
import { AudioFormatError } from './codec.ts';
import type { ConnectionLimiter } from './connections.ts';
import type { AudioHookSessions } from './continuations.ts';
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
  /** Scoring lag (ms) past which new calls are refused (1013 overloaded); 0 = never. */
  maxScoringLagMs: number;
  /** Share of the scoring threads' time admitted calls may claim (1013 overloaded past it; capacity.ts); 0 = no limit. */
  maxScoringLoad: number;
  /** Open connections (WebSocket and gRPC together) past which new ones are refused. */
  maxConnections: number;
  /** Open connections from one remote address past which its new ones are refused. */
  maxConnectionsPerAddress: number;
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
  maxScoringLagMs: 2500,
  maxScoringLoad: 1,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 1000,
  idleTimeoutMs: 30_000,
  authTimeoutMs: 5000,
  maxQueuedMessages: 1000,
  highWaterBytes: 1024 * 1024,
};

/** How long after `stop` a peer waiting for its call's events waits for the summary before the session ends anyway. */
export const SUMMARY_WAIT_MS = 15_000;

/** Who may connect: the tokens (core/auth) and the carriers' own credentials. */
export interface IngressAuth extends AuthConfig {
  /** Genesys AudioHook clients by API key (signed upgrades, core/auth/audiohook.ts). */
  audiohookCredentials?: AudioHookCredentials;
  /** Twilio auth tokens by tenant (X-Twilio-Signature, core/auth/twilio.ts). */
  twilioAuthTokens?: Readonly<Record<string, string>>;
}

/** What every session and watcher of the ingress shares. */
export interface IngressContext {
  calls: CallRegistry;
  /**
   * What watchers see (/watch, WatchAlerts, WatchCall): this process's events, or on a shared bus the
   * cluster's (feed/). A native or gRPC caller's own call echoes from its instance instead (calls.ts).
   */
  hub: EventHub;
  auth: IngressAuth;
  limits: GatewayLimits;
  log: Logger;
  /** Open connections of both transports, against the caps of `limits`. */
  connections: ConnectionLimiter;
  /** AudioHook's process-wide state: signature nonces, calls awaiting a continuing session. */
  audiohook: AudioHookSessions;
  metrics?: LiveMetrics;
}

/**
 * A message for the peer: a protocol message (text), or one of the call's events serialised, with
 * the event itself so that each transport encodes it its own way.
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
   * (the protocol's own rendering of the error) when given, nothing more when null, else the
   * transport's default.
   */
  fail(err: IngressError, last: Outgoing | null | undefined): void;
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
  /** The protocol's name of a start field (`meta.callId` → gRPC `start.call_id`), for error messages. */
  fieldName?: (path: string) => string;
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

/** Counts and logs a refused session or watcher once. */
function report(ctx: IngressContext, path: string, err: IngressError): void {
  const { reason } = wireOf(err);
  ctx.metrics?.rejected.inc({ path, reason });
  if (err.code === 'INTERNAL_ERROR') ctx.log.error({ err: err.cause ?? err, path }, 'session handler failed');
  else ctx.log.warn({ err, path, reason }, 'closing session');
}

/** Counts and logs a refused session or watcher once, then ends it on its port. */
export function refuse(
  ctx: IngressContext,
  path: string,
  port: Pick<SessionPort, 'fail'>,
  err: IngressError,
  last?: Outgoing,
): void {
  report(ctx, path, err);
  port.fail(err, last);
}

/** How long a peer with a close transaction has to answer our last message with its close. */
export const CLOSE_TRANSACTION_MS = 5000;

/** Wall-clock slack a call's gaps may run ahead of real time (clocks and buffering differ). */
export const GAP_SLACK_MS = 2000;

/** How a protocol renders a failure for its peer. */
export interface ErrorRendering {
  /** The protocol's last message for `err`; undefined: the transport's default. */
  render(err: IngressError): string | undefined;
  /** The protocol has a close transaction: after that message wait for the peer's close (at most CLOSE_TRANSACTION_MS). */
  closeTransaction?: boolean;
}

type State = 'open' | 'started' | 'stopped' | 'failing' | 'closed';

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
  private readonly closeTransaction: Deadline;
  private readonly beforeEndHooks: Array<() => void> = [];
  private rendering: ErrorRendering = { render: () => undefined };
  private failure: IngressError | undefined;
  private startedAtMs = 0;
  /** Per speaker: milliseconds of gaps granted so far. */
  private readonly gapMs: Record<SpeakerRole, number> = { customer: 0, agent: 0 };

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
    this.closeTransaction = new Deadline(CLOSE_TRANSACTION_MS, () => this.closeAfterFailure());
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

  /**
   * Runs the handler of one incoming message: restarts the idle deadline; what it throws fails the
   * session. While failing (waiting for the peer's close) the handler still runs, but nothing it
   * throws counts.
   */
  handle(message: () => void): void {
    if (this.state === 'closed') return;
    if (this.state === 'failing') {
      try {
        message();
      } catch {}
      return;
    }
    if (this.state !== 'stopped' || !this.options.echoEvents) this.idle.restart();
    try {
      message();
    } catch (err) {
      this.fail(err);
    }
  }

  /** The session failed and waits for the peer's close (protocols with a close transaction). */
  get failing(): boolean {
    return this.state === 'failing';
  }

  /** Authenticates with a token the protocol carries in a message (Twilio's `token` parameter). */
  authenticate(token: string | undefined): Principal {
    const who = authenticate(this.ctx.auth, token);
    if (!who) throw new IngressError('UNAUTHORIZED', 'missing or wrong token');
    this.who = who;
    this.authDeadline.cancel();
    return who;
  }

  /**
   * Validates the start (start.ts) and admits the call; throws the IngressError that refuses it.
   * With `continued` (the call of a session this one continues, AudioHook) the call goes on here
   * instead of being admitted anew; with `offsetMs` a call admitted here starts at that point of its
   * timeline (it continues a session this pod never had: another pod's, which died or drained).
   */
  start(input: { meta: unknown; media: unknown }, continued?: OpenCall, offsetMs = 0): CallStart {
    if (this.call) throw new IngressError('DUPLICATE_START', 'call already started');
    if (!this.who) throw new IngressError('UNAUTHORIZED', 'missing or wrong token');
    const start = parseCallStart(input, this.options.fieldName);
    if (continued && !mayAccessTenant(this.who, continued.meta.tenantId)) {
      continued.end();
      throw new IngressError(
        'TENANT_FORBIDDEN',
        `this token may not stream calls of tenant ${continued.meta.tenantId}`,
      );
    }
    this.call = continued ?? this.ctx.calls.admit(start.meta, this.options.protocol, this.who, offsetMs);
    this.media = start.media;
    this.ingest = new FrameIngest(this.call, start.media);
    this.state = 'started';
    this.startedAtMs = Date.now();
    // This call instance's events only: another call under the same id (another tenant's, or an
    // earlier one still ending) is another instance.
    if (this.options.echoEvents) this.unsubscribe = this.call.listen((event) => this.echo(event));
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
   * A span of the call without audio (AudioHook `discarded` / `resumed`, a lost Twilio chunk) on
   * `speaker`, else on every channel: its timeline moves on by it (the summary's hold). The gaps of
   * a speaker never add up to more than the time since the start (+ GAP_SLACK_MS); returns the ms granted.
   */
  gap(ms: number, speaker?: SpeakerRole): number {
    if (!this.call || !this.media || !(ms > 0)) return 0;
    let granted = 0;
    for (const s of speaker ? [speaker] : this.media.channels) {
      const room = Date.now() - this.startedAtMs + GAP_SLACK_MS - this.gapMs[s];
      const take = Math.max(0, Math.min(ms, room));
      this.gapMs[s] += take;
      granted = Math.max(granted, take);
      this.call.gap(s, take);
    }
    return granted;
  }

  /** Sets how failures reach the peer (AudioHook: `disconnect`, then its close transaction); default: the transport's. */
  renderErrorsWith(rendering: ErrorRendering): void {
    this.rendering = rendering;
  }

  /**
   * Detaches the call from this session without ending it, for a session that continues it
   * (AudioHook reconnect): audio this session still holds goes in first, and from now on the
   * session has no call. Undefined when it has none streaming.
   */
  handOver(): { call: OpenCall; media: MediaFormat } | undefined {
    const call = this.call;
    const media = this.media;
    if (this.state !== 'started' || !call || !media) return undefined;
    this.ingest?.flush();
    this.call = undefined;
    this.ingest = undefined;
    this.unsubscribe?.();
    this.state = 'stopped';
    return { call, media };
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
    if (this.state === 'closed' || this.state === 'failing') return;
    const e = asIngressError(err);
    this.close();
    const text = this.rendering.render(e);
    if (text === undefined || !this.rendering.closeTransaction) {
      refuse(this.ctx, this.options.path, this.port, e, text === undefined ? undefined : { text });
      return;
    }
    // Close transaction: our last message now, the transport's close once the peer has closed its side.
    report(this.ctx, this.options.path, e);
    this.state = 'failing';
    this.failure = e;
    this.outbox.send({ text });
    this.closeTransaction.restart();
  }

  /**
   * The peer's close after a failure (or the wait for it is over): `answer` (the protocol's reply
   * to the close) goes out, then the transport closes with the failure's code.
   */
  closeAfterFailure(answer?: string): void {
    if (this.state !== 'failing') return;
    this.state = 'closed';
    this.closeTransaction.cancel();
    if (answer !== undefined) this.outbox.send({ text: answer });
    const failure = this.failure!;
    this.outbox.whenFlushed(() => this.port.fail(failure, null));
  }

  /** The transport closed (either side): the call ends. */
  closed(): void {
    this.close();
  }

  private echo(event: VoicePulseEvent): void {
    this.outbox.send({ json: JSON.stringify(event), event });
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
    this.closeTransaction.cancel();
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
