// The supervisors' wallboard: a static page (public/) that watches a tenant's live events over the
// gateway's /watch WebSocket, plus the charting library it uses (uPlot), served from node_modules
// so the page works without internet access. Mounted on the live service's HTTP server.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WALLBOARD_PATH = '/wallboard/';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const UPLOT_DIR = join(dirname(createRequire(import.meta.url).resolve('uplot')), '..', 'dist');

/** Every file the wallboard serves, by URL path below /wallboard/; nothing else is reachable. */
const FILES: Readonly<Record<string, string>> = {
  '': join(PUBLIC_DIR, 'index.html'),
  'wallboard.js': join(PUBLIC_DIR, 'wallboard.js'),
  'wallboard.css': join(PUBLIC_DIR, 'wallboard.css'),
  'vendor/uPlot.iife.min.js': join(UPLOT_DIR, 'uPlot.iife.min.js'),
  'vendor/uPlot.min.css': join(UPLOT_DIR, 'uPlot.min.css'),
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface Wallboard {
  /** Serves `/` (redirect) and `/wallboard/…`; resolves false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export function createWallboard(): Wallboard {
  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://wallboard');
      if (url.pathname === '/' || url.pathname === '/wallboard') {
        // Keeps the query (?tenant=…&token=…) so a printed link lands on the right board.
        res.writeHead(302, { location: `${WALLBOARD_PATH}${url.search}` });
        res.end();
        return true;
      }
      if (!url.pathname.startsWith(WALLBOARD_PATH)) return false;
      const file = FILES[url.pathname.slice(WALLBOARD_PATH.length)];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
        res.end('method not allowed\n');
        return true;
      }
      if (file === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
        return true;
      }
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        // The page takes the token from its URL: it must not leak through Referer or caches.
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy':
          "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; img-src 'self' data:",
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
