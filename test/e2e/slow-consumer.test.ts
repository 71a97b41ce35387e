// A consumer that stops reading must not grow the server's memory: the outbox drops the oldest
// messages once its queue and the socket's send buffer are full.
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Outbox } from '../../services/live/ingress/outbox.ts';
import { socketOutboxPort } from '../../services/live/ingress/websocket.ts';

describe('slow consumer', () => {
  it('keeps queue and send buffer bounded and counts what it dropped', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    await new Promise((r) => client.once('open', r));
    // Stop reading: the kernel buffers fill, then the server's ws buffer.
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    const ws = await serverSide;
    const outbox = new Outbox(socketOutboxPort(ws, 256 * 1024), { maxQueued: 100 });
    const message = { text: JSON.stringify({ type: 'score', pad: 'x'.repeat(1000) }) };
    const heapBefore = process.memoryUsage().heapUsed;
    let maxBuffered = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 2000; i++) outbox.send(message);
      maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
      expect(outbox.queued).toBeLessThanOrEqual(100);
      await new Promise((r) => setTimeout(r, 5));
    }
    // 100,000 messages of 1 KB (100 MB) offered; the server holds at most the bounds.
    expect(outbox.dropped).toBeGreaterThan(90_000);
    expect(maxBuffered).toBeLessThan(256 * 1024 + 2 * message.text.length);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024);
    client.terminate();
    wss.close();
  });
});
