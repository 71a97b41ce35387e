// The WebSocket gateway: one upgrade handler for /twilio, /audiohook, /stream and /watch on the
// application's HTTP server. Authentication happens at the upgrade (bearer header, `token` query
// parameter, or AudioHook's X-API-KEY); Twilio, which cannot set headers, may instead pass the token
// as a custom parameter in its `start` message.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { requestToken } from '../../../core/auth/bearer.ts';
import { authenticate, type Principal } from '../../../core/auth/tokens.ts';
import { audiohookSession } from './audiohook.ts';
import { nativeSession } from './native.ts';
import { CLOSE, type GatewayContext, ProtocolError, runSession, type SessionHandler } from './session.ts';
import { twilioSession } from './twilio.ts';
import { watchSession } from './watch.ts';

export const WS_PATHS = ['/twilio', '/audiohook', '/stream', '/watch'] as const;

export interface Gateway {
  /** Handles an HTTP upgrade; false when the path is not the gateway's. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every socket with 1001 (going away). */
  close(): Promise<void>;
}

export function createGateway(ctx: GatewayContext): Gateway {
  const wss = new WebSocketServer({ noServer: true, maxPayload: ctx.limits.maxFrameBytes });

  const sessionFor = (
    path: string,
    ws: WebSocket,
    url: URL,
    principal: Principal | undefined,
  ): SessionHandler => {
    if (path === '/twilio') return twilioSession(ctx, principal);
    // Every other path was refused at the upgrade without a principal.
    const who = principal!;
    if (path === '/audiohook') return audiohookSession(ctx, ws, who);
    if (path === '/stream') return nativeSession(ctx, ws, who);
    return watchSession(ctx, ws, url, who);
  };

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://gateway');
      const path = url.pathname;
      if (!(WS_PATHS as readonly string[]).includes(path)) return false;
      const principal = authenticate(ctx.auth, requestToken(req.headers, url));
      if (!principal && path !== '/twilio') {
        ctx.metrics?.rejected.inc({ path, reason: 'unauthorized' });
        socket.end(
          'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nmissing or wrong token\n',
        );
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ctx.metrics?.connections.inc({ path });
        let handler: SessionHandler;
        try {
          handler = sessionFor(path, ws, url, principal);
        } catch (err) {
          const e =
            err instanceof ProtocolError ? err : new ProtocolError(1011, 'internal-error', String(err));
          ctx.metrics?.rejected.inc({ path, reason: e.reason });
          ws.send(JSON.stringify({ type: 'error', code: e.closeCode, reason: e.reason, message: e.message }));
          ws.close(e.closeCode, e.reason);
          return;
        }
        runSession(ws, path, ctx, handler);
      });
      return true;
    },
    async close() {
      // Closing a socket ends its call; a peer that does not answer the close within 1 s is cut off.
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
