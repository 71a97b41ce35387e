import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { runLoad } from './load.ts';

/** A gateway that refuses every call as the live server does when full: close 1013 on the first message. */
let server: WebSocketServer;
let url: string;
beforeAll(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (ws, req) => {
    // The tenant-wide watcher Twilio runs need stays open.
    if (req.url?.startsWith('/watch')) return;
    ws.once('message', () => ws.close(1013, 'at capacity'));
  });
  await new Promise<void>((done) => server.once('listening', () => done()));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('runLoad', () => {
  const call = { customer: new Float32Array(1600), agent: new Float32Array(1600), source: 'test', turns: [] };
  for (const protocol of ['native', 'twilio'] as const)
    it(`counts calls the server refused as failed, not completed (${protocol})`, async () => {
      const r = await runLoad({
        url,
        token: 'a-long-enough-test-token-0123456789',
        calls: 3,
        protocol,
        call,
        rampMs: 0,
        speed: 10,
      });
      expect(r.completed).toBe(0);
      expect(r.failed).toBe(3);
      expect(r.closedByServer).toBe(3);
      expect(r.errors[0]).toBe('server closed the call: 1013 at capacity');
      expect(r.cpuMs).toBeGreaterThan(0);
      expect(r.cpuMs).toBeLessThan(r.wallMs * 4);
    });
});
