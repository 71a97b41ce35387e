import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWallboardApi, type WallboardApi } from './api.ts';
import { BoardHistory } from './history.ts';
import { scoreAt } from './testing/events.ts';

let server: Server;
let api: WallboardApi;
let port: number;
const history = new BoardHistory();

beforeAll(async () => {
  api = createWallboardApi({
    auth: { operatorToken: 'op' },
    history,
    maxBufferedBytes: 64 * 1024,
    maxStreams: 2,
  });
  server = createServer((req, res) => {
    api.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  api.close();
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

function openStream() {
  return new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/wallboard/api/stream?tenant=t',
      headers: { authorization: 'Bearer op' },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

it('ends the stream of a board that stops reading instead of buffering for it', async () => {
  const res = await openStream();
  expect(res.statusCode).toBe(200);
  res.pause(); // a board that no longer reads (a frozen tab, a dead network)
  const call = { tenantId: 't', callId: 'flood', startedAtMs: Date.now() };
  let produced = 0;
  for (let s = 1; s <= 20_000; s++) {
    const event = scoreAt(call, s * 1000, 0.5);
    produced += JSON.stringify(event).length + 1;
    history.record(event);
  }
  let received = 0;
  const ended = new Promise<void>((resolve) => {
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    res.on('end', () => resolve());
    res.on('close', () => resolve());
  });
  res.resume();
  await ended;
  expect(produced).toBeGreaterThan(5_000_000);
  // What reached the board is what the socket buffers held plus at most maxBufferedBytes, not all of it.
  console.info(
    `[wallboard api] slow board: ${received} of ${produced} bytes sent before the stream was ended`,
  );
  expect(received).toBeLessThan(produced / 2);
});

it('refuses streams beyond maxStreams, so open boards cannot exhaust the server', async () => {
  const a = await openStream();
  const b = await openStream();
  const c = await openStream();
  expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([200, 200, 503]);
  for (const r of [a, b, c]) r.destroy();
});
