// /metrics and /healthz of the live service, in two places:
//  - on the main port, which faces callers: /metrics needs the operator token (its labels name
//    tenants); /healthz answers anyone with up or down only ({"ok":true|false}, 200 or 503), and
//    the operator also with the calls in progress and the failure;
//  - on the metrics listener (VOICEPULSE_LIVE_METRICS_PORT), for a private network: both without a
//    token, for Prometheus and Kubernetes probes, which carry none.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { requestToken } from '../../core/auth/bearer.ts';
import { type AuthConfig, authenticate } from '../../core/auth/tokens.ts';

export interface Health {
  ok: boolean;
  activeCalls: number;
  /** Why not ok. */
  failure?: string;
}

export interface OpsOptions {
  registry: Registry;
  health: () => Health;
  /** Who may see metrics and health details; absent: everybody (the metrics listener). */
  auth?: AuthConfig;
}

/** Serves /metrics and /healthz; resolves false for any other path. */
export function opsHandler(o: OpsOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const isOperator = (req: IncomingMessage, url: URL) =>
    !o.auth || authenticate(o.auth, requestToken(req.headers, url))?.kind === 'operator';
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/metrics') {
      if (!isOperator(req, url)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
        res.end('/metrics needs the operator token\n');
        return true;
      }
      res.writeHead(200, { 'content-type': o.registry.contentType });
      res.end(await o.registry.metrics());
      return true;
    }
    if (url.pathname === '/healthz') {
      const health = o.health();
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(isOperator(req, url) ? health : { ok: health.ok }));
      return true;
    }
    return false;
  };
}

export interface OpsListener {
  readonly port: number;
  close(): Promise<void>;
}

/** The metrics listener: /metrics and /healthz without a token, nothing else. */
export async function startOpsListener(
  host: string,
  port: number,
  o: Omit<OpsOptions, 'auth'>,
): Promise<OpsListener> {
  const handle = opsHandler(o);
  const server: Server = createServer((req, res) => {
    handle(req, res).then(
      (done) => {
        if (done) return;
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
