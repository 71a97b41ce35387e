// The behaviour every EventBus implementation promises, as one vitest suite that in-process.test.ts
// and kafka.test.ts run against their bus. Each test uses its own tenant id and consumer groups, so
// the tests can share one bus (and, for Kafka, one set of topics).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EventValidationError, type VoicePulseEvent } from '../../events/schema.ts';
import type { EventBus, EventOrigin } from '../bus.ts';
import { syntheticCall } from './synthetic.ts';

/** Polls until `check` is true; fails with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls an async read until `accept` holds; returns the last value read (the caller asserts on it). */
export async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

function calls(tenantId: string, count: number): VoicePulseEvent[] {
  const events: VoicePulseEvent[] = [];
  for (let i = 0; i < count; i++) {
    const call = syntheticCall({
      tenantId,
      callId: `${tenantId}-call-${i}`,
      agentId: `agent-${i % 3}`,
      queue: 'billing',
      startedAtMs: 1_714_000_000_000 + i * 1000,
      durationMs: 20_000,
      escalation: 0.9,
    });
    events.push(...call.scores, ...call.alerts, call.summary);
  }
  return events;
}

/** Events of one tenant received by a handler, by event id (a redelivery shows up as a count > 1). */
class Received {
  readonly counts = new Map<string, number>();
  readonly order: VoicePulseEvent[] = [];
  constructor(private readonly tenantId: string) {}
  add(events: VoicePulseEvent[]): void {
    for (const e of events) {
      if (e.tenantId !== this.tenantId) continue;
      this.counts.set(e.eventId, (this.counts.get(e.eventId) ?? 0) + 1);
      this.order.push(e);
    }
  }
}

export function busContract(makeBus: () => Promise<EventBus>): void {
  let bus: EventBus;
  beforeAll(async () => {
    bus = await makeBus();
  });
  afterAll(async () => {
    await bus?.close();
  });
  const fresh = () => `t-${randomUUID().slice(0, 8)}`;

  it('rejects a batch with one invalid event before publishing any of it', async () => {
    const tenant = fresh();
    const received = new Received(tenant);
    const sub = await bus.subscribe({
      groupId: `${tenant}-g`,
      types: ['score', 'alert', 'call_summary'],
      fromBeginning: true,
      handler: async (events) => received.add(events),
    });
    const good = calls(tenant, 1);
    const bad = { ...good[0], eventId: `${tenant}-bad`, valence: 7 } as unknown as VoicePulseEvent;
    await expect(bus.publish([...good, bad])).rejects.toBeInstanceOf(EventValidationError);
    await expect(
      bus.publish([{ ...good[0], schemaVersion: 2 } as unknown as VoicePulseEvent]),
    ).rejects.toThrow(/schemaVersion/);
    const marker = calls(`${tenant}`, 1).map((e) => ({ ...e, eventId: `${e.eventId}-after` }));
    await bus.publish(marker);
    await waitUntil(() => received.counts.size === marker.length, 'the events published after the bad batch');
    expect([...received.counts.keys()].every((id) => id.endsWith('-after'))).toBe(true);
    await sub.stop();
  });

  it('delivers every event to every group, each call in order', async () => {
    const tenant = fresh();
    const events = calls(tenant, 12);
    const a = new Received(tenant);
    const b = new Received(tenant);
    const lastOffset = new Map<string, number>();
    const subs = await Promise.all(
      [a, b].map((r, i) =>
        bus.subscribe({
          groupId: `${tenant}-g${i}`,
          types: ['score', 'alert', 'call_summary'],
          fromBeginning: true,
          handler: async (batch, { topic, source, offsets }) => {
            expect(topic).toMatch(/^voicepulse\./);
            // Each event has its own offset, increasing within the partition the source names.
            expect(source).toContain(`${tenant}-g${i}@`);
            expect(offsets).toHaveLength(batch.length);
            const last = lastOffset.get(source) ?? -1;
            expect(offsets[0]).toBeGreaterThan(last);
            expect([...offsets].sort((x, y) => x - y)).toEqual(offsets);
            lastOffset.set(source, offsets[offsets.length - 1] ?? last);
            r.add(batch);
          },
        }),
      ),
    );
    await bus.publish(events);
    for (const r of [a, b]) {
      await waitUntil(() => r.counts.size === events.length, 'every event in both groups');
      expect([...r.counts.values()].every((n) => n === 1)).toBe(true);
      for (let i = 0; i < 12; i++) {
        const windows = r.order
          .filter((e) => e.callId === `${tenant}-call-${i}` && e.type === 'score' && e.speaker === 'customer')
          .map((e) => (e.type === 'score' ? e.windowStartMs : -1));
        expect(windows).toEqual([...windows].sort((x, y) => x - y));
        expect(windows.length).toBe(10);
      }
    }
    await Promise.all(subs.map((s) => s.stop()));
  });

  it("delivers each event with the origin it was published with, and refuses origins that don't fit", async () => {
    const tenant = fresh();
    const [first, ...rest] = calls(tenant, 2).filter((e) => e.type === 'score');
    const origins = rest.map((_, i) => ({ source: `recording:${tenant}#score`, offset: i }));
    const received = new Map<string, EventOrigin | undefined>();
    const sub = await bus.subscribe({
      groupId: `${tenant}-g`,
      types: ['score'],
      fromBeginning: true,
      handler: async (batch, context) => {
        batch.forEach((e, i) => {
          if (e.tenantId === tenant) received.set(e.eventId, context.origins?.[i]);
        });
      },
    });
    await expect(bus.publish(rest, origins.slice(1))).rejects.toThrow(/^BAD_ORIGIN: /);
    await expect(
      bus.publish(
        rest,
        origins.map((o) => ({ ...o, offset: -1 })),
      ),
    ).rejects.toThrow(/^BAD_ORIGIN: /);
    await bus.publish([first!]);
    await bus.publish(rest, origins);
    await waitUntil(() => received.size === rest.length + 1, 'every event');
    expect(received.get(first!.eventId)).toBeUndefined();
    expect(rest.map((e) => received.get(e.eventId))).toEqual(origins);
    await sub.stop();
  });

  it('splits the partitions between members of one group', async () => {
    const tenant = fresh();
    const events = calls(tenant, 40).filter((e) => e.type === 'score');
    const members = [new Received(tenant), new Received(tenant)];
    const subs = [];
    for (const r of members) {
      subs.push(
        await bus.subscribe({
          groupId: `${tenant}-shared`,
          types: ['score'],
          fromBeginning: true,
          handler: async (batch) => r.add(batch),
        }),
      );
    }
    await bus.publish(events);
    const total = () => members.reduce((n, r) => n + r.counts.size, 0);
    await waitUntil(() => total() >= events.length, 'all events across the group');
    const ids = members.flatMap((r) => [...r.counts.keys()]);
    expect(new Set(ids).size).toBe(events.length);
    expect(ids.length).toBe(events.length);
    // Both members got work, and no call was split between them.
    expect(members.every((r) => r.counts.size > 0)).toBe(true);
    const owner = new Map<string, number>();
    members.forEach((r, m) => {
      for (const e of r.order) {
        expect(owner.get(e.callId) ?? m).toBe(m);
        owner.set(e.callId, m);
      }
    });
    await Promise.all(subs.map((s) => s.stop()));
  });

  it('redelivers a batch whose handler rejected, then moves on', async () => {
    const tenant = fresh();
    const events = calls(tenant, 3).filter((e) => e.type === 'call_summary');
    const received = new Received(tenant);
    let failures = 0;
    const sub = await bus.subscribe({
      groupId: `${tenant}-g`,
      types: ['call_summary'],
      fromBeginning: true,
      handler: async (batch) => {
        if (batch.some((e) => e.tenantId === tenant) && failures < 2) {
          failures++;
          throw new Error('sink unavailable');
        }
        received.add(batch);
      },
    });
    await bus.publish(events);
    await waitUntil(() => received.counts.size === events.length, 'the redelivered summaries');
    expect(failures).toBe(2);
    expect([...received.counts.values()].every((n) => n === 1)).toBe(true);
    await sub.stop();
  });

  it('resumes a group from its committed position after a stop', async () => {
    const tenant = fresh();
    const first = calls(tenant, 2).filter((e) => e.type === 'call_summary');
    const second = calls(tenant, 4)
      .filter((e) => e.type === 'call_summary')
      .slice(2);
    const received = new Received(tenant);
    const subscribe = () =>
      bus.subscribe({
        groupId: `${tenant}-g`,
        types: ['call_summary'],
        fromBeginning: true,
        handler: async (batch) => received.add(batch),
      });
    const sub1 = await subscribe();
    await bus.publish(first);
    await waitUntil(() => received.counts.size === first.length, 'the first summaries');
    await sub1.stop();
    await bus.publish(second);
    const sub2 = await subscribe();
    await waitUntil(() => received.counts.size === first.length + second.length, 'the later summaries');
    // Give a wrongful redelivery of the committed events time to show up.
    await new Promise((r) => setTimeout(r, 300));
    expect([...received.counts.values()].every((n) => n === 1)).toBe(true);
    await sub2.stop();
  });
}
