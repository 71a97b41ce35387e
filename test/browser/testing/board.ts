// A wallboard on its own HTTP server, fed made-up events (services/live/wallboard/testing/events.ts)
// so browser tests control exactly what the board has seen, plus page helpers that collect what
// should never happen on the page (console errors, failed requests).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import type { AuthConfig } from '../../../core/auth/tokens.ts';
import { createWallboard, type Wallboard } from '../../../services/live/wallboard/wallboard.ts';

export const BOARD_TOKEN = 'board-test-token';
export const OTHER_TENANT_TOKEN = 'other-tenant-token-0123';
export const GRAFANA = 'http://grafana.test:3000';

export interface Board {
  base: string;
  wallboard: Wallboard;
  /** Mutable: a test may rotate the operator token the way a restart with a new token does. */
  auth: AuthConfig;
  stop(): Promise<void>;
}

export async function startBoard(): Promise<Board> {
  const auth: AuthConfig = { operatorToken: BOARD_TOKEN, tenantTokens: { other: OTHER_TENANT_TOKEN } };
  const wallboard = createWallboard({ auth, grafanaUrl: GRAFANA });
  const server: Server = createServer((req, res) => {
    wallboard.handle(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    wallboard,
    auth,
    stop: () =>
      new Promise<void>((resolve) => {
        wallboard.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A page that records console errors, page errors and failed requests into `problems`. */
export async function watchedPage(context: BrowserContext, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A stream the test tears down (server stop, token rotation) ends as an aborted request.
    if (!r.url().includes('/api/stream')) problems.push(`request failed: ${r.url()}`);
  });
  return page;
}

/** Local midnight today, as the browser (same time zone as this process) counts "today". */
export function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
