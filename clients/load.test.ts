import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
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

describe('runLoad phases', () => {
  // 10 chunks of 20 ms; chunk k of the customer's audio holds the constant (k + 1) / 100.
  const customer = new Float32Array(1600).map((_, i) => (Math.floor(i / 160) + 1) / 100);
  const call = { customer, agent: new Float32Array(1600), source: 'test', turns: [] };
  /** The chunks each call sent, by call id, as the customer sample's chunk index (native stereo frames). */
  async function chunksSent(phases: 'together' | 'spread'): Promise<number[][]> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const sent = new Map<string, number[]>();
    server.on('connection', (ws: WebSocket) => {
      let callId = '';
      ws.on('message', (data, binary) => {
        if (!binary) {
          const m = JSON.parse(data.toString()) as { type: string; callId?: string };
          if (m.type === 'start') callId = m.callId!;
          if (m.type === 'stop') ws.close(1000);
          return;
        }
        const frame = new Int16Array(new Uint8Array(data as Buffer).buffer);
        sent.set(callId, [...(sent.get(callId) ?? []), Math.round((frame[0]! / 32767) * 100) - 1]);
      });
    });
    await new Promise<void>((done) => server.once('listening', () => done()));
    try {
      const r = await runLoad({
        url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
        token: 'a-long-enough-test-token-0123456789',
        calls: 2,
        protocol: 'native',
        call,
        rampMs: 0,
        speed: 20,
        phases,
      });
      expect(r.completed).toBe(2);
      return r.callIds.map((id) => sent.get(id) ?? []);
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  }

  it('together: every call plays the conversation from its start', async () => {
    const all = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(await chunksSent('together')).toEqual([all, all]);
  });

  it('spread: call i of N starts i/N of the way in and plays the skipped part at its end', async () => {
    expect(await chunksSent('spread')).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [5, 6, 7, 8, 9, 0, 1, 2, 3, 4],
    ]);
  });
});
