// The WebSocket transport: one upgrade handler for /twilio, /audiohook, /stream and /watch on the
// application's HTTP server, and the socket as a session's port (writes through the session's
// outbox, closes with the close code and reason of errors.ts). Before anything else an upgrade
// takes a connection slot (connections.ts: HTTP 503 past the global or per-address cap). Then
// authentication: AudioHook's headers and signature (audiohook.ts), Twilio's signature
// (twilio.ts), else a token (core/auth/bearer.ts: bearer header, X-API-KEY, or ?token=); an
// upgrade without a valid one gets HTTP 401 (400 for missing AudioHook headers), except on
// /twilio, where the `start` message may carry the token before the session's auth deadline.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { requestToken } from '../../../core/auth/bearer.ts';
import { authenticate, type Principal } from '../../../core/auth/tokens.ts';
import { detailOf } from '../../../core/errors.ts';
import { audiohookAdapter, audiohookUpgrade } from './audiohook.ts';
import { asIngressError, CLOSE, IngressError, wireOf } from './errors.ts';
import type { ProtocolAdapter, UpgradeAuth, UpgradeRequest } from './messages.ts';
import { nativeAdapter } from './native.ts';
import type { OutboxPort } from './outbox.ts';
import {
  CallSession,
  type IngressContext,
  type Outgoing,
  type Protocol,
  refuse,
  type SessionPort,
} from './session.ts';
import { twilioAdapter, twilioUpgrade } from './twilio.ts';
import { watch, watchTargetOf } from './watch.ts';

export const WS_PATHS = ['/twilio', '/audiohook', '/stream', '/watch'] as const;

/** The call protocol of each streaming path. */
const PROTOCOLS: Record<
  Exclude<(typeof WS_PATHS)[number], '/watch'>,
  {
    protocol: Protocol;
    echoEvents: boolean;
    adapter: (s: CallSession, ctx: IngressContext, upgrade: UpgradeRequest) => ProtocolAdapter;
  }
> = {
  '/twilio': { protocol: 'twilio', echoEvents: false, adapter: twilioAdapter },
  '/audiohook': { protocol: 'audiohook', echoEvents: false, adapter: audiohookAdapter },
  '/stream': { protocol: 'native', echoEvents: true, adapter: nativeAdapter },
};

export type CallPath = keyof typeof PROTOCOLS;

/** A call session on `path` with its protocol's adapter: what a socket's messages are fed to. */
export interface SocketCall {
  readonly session: CallSession;
  text(text: string): void;
  binary(bytes: Uint8Array): void;
  /** The socket closed. */
  closed(): void;
}

export function openCall(
  ctx: IngressContext,
  port: SessionPort,
  path: CallPath,
  principal: Principal | undefined,
  upgrade: UpgradeRequest = { headers: {}, target: path },
): SocketCall {
  const { protocol, echoEvents, adapter } = PROTOCOLS[path];
  const session = new CallSession(ctx, port, { protocol, path, principal, echoEvents });
  const messages = adapter(session, ctx, upgrade);
  return {
    session,
    text: (text) => session.handle(() => messages.onText(text)),
    binary: (bytes) => session.handle(() => messages.onBinary(bytes)),
    closed: () => {
      messages.onClose?.();
      session.closed();
    },
  };
}

export interface Gateway {
  /** Handles an HTTP upgrade; false when the path is not the gateway's. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every socket with 1001 (going away). */
  close(): Promise<void>;
}

/** The socket's writable side for an outbox: `highWaterBytes` in its send buffer at most. */
export function socketOutboxPort(ws: WebSocket, highWaterBytes: number): OutboxPort<Outgoing> {
  return {
    write: (m) => ws.send('text' in m ? m.text : m.json),
    saturated: () => ws.bufferedAmount >= highWaterBytes,
    // ws emits no drain of its own buffer: look again shortly.
    onWritable: (retry) => setTimeout(retry, 20).unref(),
    isOpen: () => ws.readyState === ws.OPEN,
  };
}

/** The socket as a session's (or watcher's) port. */
export function socketPort(ws: WebSocket, highWaterBytes: number): SessionPort {
  return {
    out: socketOutboxPort(ws, highWaterBytes),
    end: (reason) => ws.close(CLOSE.normal, reason),
    fail: (err, last) => {
      const { close, reason } = wireOf(err);
      const message =
        last === undefined
          ? JSON.stringify({ type: 'error', code: close, reason, message: detailOf(err) })
          : last === null
            ? undefined
            : 'text' in last
              ? last.text
              : last.json;
      if (message !== undefined && ws.readyState === ws.OPEN) ws.send(message);
      ws.close(close, reason);
    },
  };
}

export function createGateway(ctx: IngressContext): Gateway {
  const wss = new WebSocketServer({ noServer: true, maxPayload: ctx.limits.maxFrameBytes });

  // ws reports protocol violations it catches itself (e.g. a frame over maxPayload: closed with 1009).
  const socketError = (path: string) => (err: Error & { code?: string }) => {
    ctx.metrics?.rejected.inc({ path, reason: err.code ?? 'socket-error' });
    ctx.log.warn({ err, path }, 'socket error');
  };

  const serveCall = (
    ws: WebSocket,
    path: CallPath,
    principal: Principal | undefined,
    upgrade: UpgradeRequest,
  ) => {
    const call = openCall(ctx, socketPort(ws, ctx.limits.highWaterBytes), path, principal, upgrade);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = toBytes(data);
      if (isBinary) call.binary(bytes);
      else call.text(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    });
    ws.on('error', socketError(path));
    ws.on('close', () => call.closed());
  };

  const serveWatcher = (ws: WebSocket, url: URL, principal: Principal) => {
    const port = socketPort(ws, ctx.limits.highWaterBytes);
    let unsubscribe: () => void;
    try {
      unsubscribe = watch(ctx, port, principal, watchTargetOf(url.searchParams));
    } catch (err) {
      refuse(ctx, '/watch', port, asIngressError(err));
      return;
    }
    // Watchers only listen: text is ignored, audio refused.
    ws.on('message', (_data: RawData, isBinary: boolean) => {
      if (isBinary)
        refuse(ctx, '/watch', port, new IngressError('BINARY_NOT_SUPPORTED', '/watch accepts no audio'));
    });
    ws.on('error', socketError('/watch'));
    ws.on('close', () => unsubscribe());
  };

  /** Refuses an upgrade with an HTTP status and a one-line reason, counted by path and reason. */
  const reject = (socket: Duplex, path: string, status: 400 | 401 | 503, reason: string, message: string) => {
    ctx.metrics?.rejected.inc({ path, reason });
    const text = { 400: 'Bad Request', 401: 'Unauthorized', 503: 'Service Unavailable' }[status];
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${message.replace(/[\r\n]/g, ' ')}\n`,
    );
  };

  const authenticateUpgrade = (
    path: (typeof WS_PATHS)[number],
    req: IncomingMessage,
    url: URL,
  ): UpgradeAuth => {
    const upgrade = { headers: req.headers, target: req.url ?? '/' };
    if (path === '/audiohook') return audiohookUpgrade(ctx, upgrade);
    if (path === '/twilio') {
      const signed = twilioUpgrade(ctx, upgrade);
      if (signed) return signed;
    }
    const principal = authenticate(ctx.auth, requestToken(req.headers, url));
    if (principal || path === '/twilio') return { principal };
    return { status: 401, message: 'missing or wrong token' };
  };

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://ingress');
      const path = url.pathname as (typeof WS_PATHS)[number];
      if (!WS_PATHS.includes(path)) return false;
      const slot = ctx.connections.tryOpen(req.socket.remoteAddress);
      if ('refused' in slot) {
        reject(socket, path, 503, 'connection-limit', slot.refused);
        return true;
      }
      const auth = authenticateUpgrade(path, req, url);
      if ('status' in auth) {
        slot.release();
        reject(socket, path, auth.status, auth.status === 401 ? 'unauthorized' : 'bad-upgrade', auth.message);
        return true;
      }
      socket.once('close', slot.release);
      wss.handleUpgrade(req, socket, head, (ws) => {
        ctx.metrics?.connections.inc({ path });
        ctx.metrics?.openConnections.inc({ transport: 'ws' });
        ws.once('close', () => ctx.metrics?.openConnections.dec({ transport: 'ws' }));
        if (path === '/watch') serveWatcher(ws, url, auth.principal!);
        else serveCall(ws, path, auth.principal, { headers: req.headers, target: req.url ?? path });
      });
      return true;
    },
    async close() {
      // Closing a socket ends its call; a peer that does not answer the close within 1 s is cut off.
      ctx.audiohook.close();
      await Promise.all(
        [...wss.clients].map(
          (ws) =>
            new Promise<void>((resolve) => {
              ws.once('close', () => resolve());
              ws.close(CLOSE.goingAway, 'server shutting down');
              setTimeout(() => ws.terminate(), 1000).unref();
            }),
        ),
      );
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
