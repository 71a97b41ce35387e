// What every WebSocket session shares: the gateway's context, typed protocol errors mapped to close
// codes, the idle timeout, and one place that turns a handler's failure into a clear close.
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { AuthConfig } from '../../../core/auth/tokens.ts';
import type { CallRegistry } from './calls.ts';
import type { EventHub } from './hub.ts';
import type { LiveMetrics } from './metrics.ts';

export interface GatewayLimits {
  /** Largest WebSocket message accepted (bytes); larger ones close the socket with 1009. */
  maxFrameBytes: number;
  maxConcurrentCalls: number;
  /** A socket that sends nothing for this long is closed (4408). */
  idleTimeoutMs: number;
  /** Outbound messages waiting per socket before the oldest is dropped. */
  maxQueuedMessages: number;
  /** Bytes allowed in a socket's send buffer before messages wait in the queue. */
  highWaterBytes: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxFrameBytes: 64 * 1024,
  maxConcurrentCalls: 1000,
  idleTimeoutMs: 30_000,
  maxQueuedMessages: 1000,
  highWaterBytes: 1024 * 1024,
};

export interface GatewayContext {
  calls: CallRegistry;
  hub: EventHub;
  auth: AuthConfig;
  limits: GatewayLimits;
  log: Logger;
  metrics?: LiveMetrics;
}

/** WebSocket close codes the gateway uses. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupported: 1003,
  invalidPayload: 1007,
  policy: 1008,
  tooBig: 1009,
  tryAgainLater: 1013,
  unknownCall: 4404,
  idle: 4408,
  duplicateCall: 4409,
} as const;

/** A client error: the session is closed with `closeCode` after an error message naming `reason`. */
export class ProtocolError extends Error {
  constructor(
    readonly closeCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface SessionHandler {
  onText(text: string): void;
  onBinary(bytes: Uint8Array): void;
  /** The socket closed (either side); end the call. */
  onClose(): void;
  /** False for listen-only sessions (watchers), which may stay silent for as long as they like. */
  idleTimeout?: boolean;
  /** Sends the handler's own rendering of an error before the close (default: a JSON error message). */
  reportError?(err: ProtocolError): void;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(CLOSE.invalidPayload, 'malformed-json', 'message is not valid JSON');
  }
}

/**
 * Parses a JSON text message and checks its discriminator (`type`, Twilio's `event`) names a known
 * message before the full schema runs, so an unknown message gets its own close reason.
 */
export function parseTagged(
  text: string,
  tag: 'type' | 'event',
  known: ReadonlySet<string>,
): { raw: unknown; kind: string } {
  const raw = parseJson(text);
  const kind = (raw as Record<string, unknown> | null)?.[tag];
  if (typeof kind !== 'string' || !known.has(kind))
    throw new ProtocolError(
      CLOSE.unsupported,
      'unknown-event',
      `unknown ${tag === 'event' ? 'event' : 'message type'} ${JSON.stringify(kind)}`,
    );
  return { raw, kind };
}

/** Wires a handler to a socket: dispatch, idle timeout, errors → close codes. */
export function runSession(ws: WebSocket, path: string, ctx: GatewayContext, handler: SessionHandler): void {
  let idle: NodeJS.Timeout | undefined;
  let closed = false;
  const fail = (err: ProtocolError) => {
    ctx.metrics?.rejected.inc({ path, reason: err.reason });
    ctx.log.warn({ path, reason: err.reason, err: err.message }, 'closing session');
    try {
      if (handler.reportError) handler.reportError(err);
      else
        ws.send(
          JSON.stringify({ type: 'error', code: err.closeCode, reason: err.reason, message: err.message }),
        );
    } catch {
      // the socket may already be gone
    }
    ws.close(err.closeCode, err.reason.slice(0, 120));
  };
  const touch = () => {
    if (handler.idleTimeout === false) return;
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        fail(new ProtocolError(CLOSE.idle, 'idle-timeout', `no message for ${ctx.limits.idleTimeoutMs} ms`)),
      ctx.limits.idleTimeoutMs,
    );
    idle.unref();
  };
  touch();
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (closed) return;
    touch();
    try {
      const bytes = toBytes(data);
      if (isBinary) handler.onBinary(bytes);
      else handler.onText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch (err) {
      if (err instanceof ProtocolError) fail(err);
      else {
        ctx.log.error({ err, path }, 'session handler failed');
        fail(new ProtocolError(1011, 'internal-error', (err as Error).message));
      }
    }
  });
  // ws reports protocol violations it catches itself (e.g. a frame over maxPayload: closed with 1009).
  ws.on('error', (err: Error & { code?: string }) => {
    ctx.metrics?.rejected.inc({ path, reason: err.code ?? 'socket-error' });
    ctx.log.warn({ path, err: err.message }, 'socket error');
  });
  ws.on('close', () => {
    closed = true;
    clearTimeout(idle);
    handler.onClose();
  });
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
