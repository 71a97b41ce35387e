import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';
import { RecordingPort } from './testing/fakes.ts';

const text = (i: number) => ({ text: String(i) });
const written = (port: RecordingPort) => port.sent.map((m) => ('text' in m ? Number(m.text) : -1));

describe('Outbox', () => {
  it('writes straight through while the transport takes it', () => {
    const port = new RecordingPort();
    const outbox = new Outbox(port.out, { maxQueued: 2 });
    for (let i = 0; i < 5; i++) outbox.send(text(i));
    expect(written(port)).toEqual([0, 1, 2, 3, 4]);
    expect(outbox.queued).toBe(0);
  });

  it('past maxQueued drops the oldest waiting message, counts it, and keeps the newest for the drain', () => {
    const port = new RecordingPort();
    let drops = 0;
    const outbox = new Outbox(port.out, { maxQueued: 3, onDrop: () => drops++ });
    port.saturated = true;
    for (let i = 0; i < 10; i++) outbox.send(text(i));
    expect(outbox.queued).toBe(3);
    expect(outbox.dropped).toBe(7);
    expect(drops).toBe(7);
    expect(port.sent).toEqual([]);
    port.drain();
    expect(written(port)).toEqual([7, 8, 9]);
  });

  it('says when everything sent so far has reached the transport', () => {
    const port = new RecordingPort();
    const outbox = new Outbox(port.out, { maxQueued: 10 });
    let flushed = 0;
    outbox.whenFlushed(() => flushed++);
    expect(flushed).toBe(1);
    port.saturated = true;
    outbox.send(text(1));
    outbox.whenFlushed(() => flushed++);
    expect(flushed).toBe(1);
    port.drain();
    expect(flushed).toBe(2);
    expect(written(port)).toEqual([1]);
  });

  it('discards what is sent once the transport is closed', () => {
    const port = new RecordingPort();
    const outbox = new Outbox(port.out, { maxQueued: 10 });
    port.saturated = true;
    outbox.send(text(1));
    port.open = false;
    outbox.send(text(2));
    port.drain();
    expect(port.sent).toEqual([]);
    expect(outbox.queued).toBe(0);
  });
});
