// The supervisors' wallboard: a static page (public/), the charting library it uses (uPlot, served
// from node_modules so the page works without internet access), the emotion palette as CSS
// (core/palette.ts), and its data API (api.ts) over the live history (history.ts) that every event
// of the live service feeds. Mounted on the live service's HTTP server; `record` takes its events.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthConfig } from '../../../core/auth/tokens.ts';
import type { AlertAckEvent, VoicePulseEvent } from '../../../core/events/schema.ts';
import { paletteCss } from '../../../core/palette.ts';
import { createWallboardApi } from './api.ts';
import { BoardHistory, type BoardHistoryOptions } from './history.ts';
import type { BoardStore } from './store.ts';

export const WALLBOARD_PATH = '/wallboard/';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const UPLOT_DIR = join(dirname(createRequire(import.meta.url).resolve('uplot')), '..', 'dist');

/** Stands for the palette, which is generated (core/palette.ts), not read from a file. */
const PALETTE = 'palette.css';

/** Every file the wallboard serves, by URL path below /wallboard/; nothing else is reachable. */
const FILES: Readonly<Record<string, string>> = {
  '': join(PUBLIC_DIR, 'index.html'),
  'wallboard.js': join(PUBLIC_DIR, 'wallboard.js'),
  'wallboard.css': join(PUBLIC_DIR, 'wallboard.css'),
  'palette.css': PALETTE,
  'vendor/uPlot.iife.min.js': join(UPLOT_DIR, 'uPlot.iife.min.js'),
  'vendor/uPlot.min.css': join(UPLOT_DIR, 'uPlot.min.css'),
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface WallboardOptions {
  /** Who may watch which tenant (the live service's tokens). */
  auth: AuthConfig;
  /** Grafana's base URL, for each call's link to its call-timeline dashboard; none = no links. */
  grafanaUrl?: string;
  history?: BoardHistoryOptions;
  /** Where acknowledgements go so every pod's boards and the sink get them (the bus); none = this process only. */
  publish?: (event: AlertAckEvent) => Promise<void>;
  /** The history store a tenant's first board after a restart reads its alerts and acknowledgements from. */
  store?: BoardStore;
  /** Told of failures that do not fail a request (the store could not be read). */
  onError?: (err: Error) => void;
}

export interface Wallboard {
  /** Serves `/` (redirect) and `/wallboard/…`; resolves false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Takes each validated event of the live service (and of the cluster's bus: acknowledgements too). */
  record(event: VoicePulseEvent): void;
  /** Ends the boards' open streams (shutdown). */
  close(): void;
}

const HEADERS = {
  // The page takes the token from its URL: it must not leak through Referer or caches.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'none'",
};

export function createWallboard(options: WallboardOptions): Wallboard {
  const history = new BoardHistory(options.history);
  const { grafanaUrl, publish, store, onError } = options;
  const api = createWallboardApi({
    auth: options.auth,
    history,
    ...(grafanaUrl ? { grafanaUrl } : {}),
    ...(publish ? { publish } : {}),
    ...(store ? { store } : {}),
    ...(onError ? { onError } : {}),
  });
  const palette = Buffer.from(paletteCss());
  return {
    record: (event) => history.record(event),
    close: () => api.close(),
    async handle(req, res) {
      if (await api.handle(req, res)) return true;
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
      const body = file === PALETTE ? palette : await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        ...HEADERS,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
