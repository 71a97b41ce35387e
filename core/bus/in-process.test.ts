import { describe, expect, it } from 'vitest';
import { InProcessBus } from './in-process.ts';
import { partitionFor } from './partition.ts';
import { busContract, waitUntil } from './testing/contract.ts';
import { syntheticCall } from './testing/synthetic.ts';

describe('InProcessBus: EventBus contract', () => {
  busContract(async () => new InProcessBus({ partitions: 4, retryDelayMs: 5 }));
});

describe('InProcessBus', () => {
  const call = (i: number) =>
    syntheticCall({
      tenantId: 't',
      callId: `call-${i}`,
      agentId: 'a',
      queue: 'q',
      startedAtMs: 1_714_000_000_000,
      durationMs: 20_000,
    });

  it('keeps at most retainPerPartition events and reports what a lagging group lost', async () => {
    const errors: Error[] = [];
    const bus = new InProcessBus({ partitions: 1, retainPerPartition: 5, onError: (e) => errors.push(e) });
    const scores = call(1).scores.slice(0, 12);
    await bus.publish(scores);
    const seen: string[] = [];
    const sub = await bus.subscribe({
      groupId: 'late',
      types: ['score'],
      fromBeginning: true,
      handler: async (events) => {
        seen.push(...events.map((e) => e.eventId));
      },
    });
    await waitUntil(() => seen.length === 5, 'the retained events');
    expect(seen).toEqual(scores.slice(7).map((e) => e.eventId));
    expect(bus.stats()).toEqual({ published: 12, dropped: 0 });
    await sub.stop();
    await bus.close();
  });

  it('counts events a subscribed group fell behind on as dropped', async () => {
    const errors: Error[] = [];
    const bus = new InProcessBus({ partitions: 1, retainPerPartition: 4, onError: (e) => errors.push(e) });
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const seen: string[] = [];
    const sub = await bus.subscribe({
      groupId: 'slow',
      types: ['score'],
      handler: async (events) => {
        await gate;
        seen.push(...events.map((e) => e.eventId));
      },
    });
    const scores = call(2).scores.slice(0, 10);
    await bus.publish(scores.slice(0, 1));
    await new Promise((r) => setTimeout(r, 10));
    await bus.publish(scores.slice(1));
    release();
    await waitUntil(() => seen.length === 5, 'the first batch and the retained tail');
    expect(seen).toEqual([scores[0], ...scores.slice(6)].map((e) => e?.eventId));
    expect(bus.stats().dropped).toBe(5);
    expect(errors.map((e) => e.name)).toContain('EventsDroppedError');
    await sub.stop();
    await bus.close();
  });

  it('redelivers after a handler throws synchronously', async () => {
    const bus = new InProcessBus({ retryDelayMs: 1 });
    let calls = 0;
    const sub = await bus.subscribe({
      groupId: 'g',
      types: ['call_summary'],
      handler: (events) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return Promise.resolve(void events);
      },
    });
    await bus.publish([call(3).summary]);
    await waitUntil(() => calls === 2, 'the redelivery');
    await sub.stop();
    await bus.close();
  });

  it('rejects publishing after close and bad options up front', async () => {
    const bus = new InProcessBus();
    await bus.close();
    await expect(bus.publish([call(4).summary])).rejects.toThrow(/closed/);
    expect(() => new InProcessBus({ partitions: 0 })).toThrow(RangeError);
  });

  it('partitions by call id deterministically and evenly', () => {
    expect(partitionFor('call-1', 8)).toBe(partitionFor('call-1', 8));
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionFor(`call-${i}`, 8)]++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });
});
