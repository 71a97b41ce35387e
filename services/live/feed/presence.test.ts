import { describe, expect, it } from 'vitest';
import { callKey } from '../../../core/calls/meta.ts';
import { FORGET_MS, type Heartbeat, heartbeatSchema, LEASE_MS, PresenceTable } from './presence.ts';

const beat = (
  podId: string,
  callIds: string[],
  over: Partial<Heartbeat> = {},
  tenantId = 't',
): Heartbeat => ({
  podId,
  incarnation: 'i1',
  atMs: 1_700_000_000_000,
  state: 'serving',
  calls: callIds.map((callId) => ({
    meta: { callId, tenantId, agentId: null, queue: null },
    startedAtMs: 1_699_999_990_000,
  })),
  ...over,
});

describe('PresenceTable', () => {
  it('elects the smallest live pod id as the reaper, leases timed by arrival here', () => {
    const b = new PresenceTable({ podId: 'pod-b', incarnation: 'i1' });
    const c = new PresenceTable({ podId: 'pod-c', incarnation: 'i1' });
    for (const t of [b, c]) {
      // pod-a's clock is an hour behind: only when its beats arrive counts.
      t.observe(beat('pod-a', [], { atMs: 1 }), 0);
      t.observe(beat('pod-b', []), 0);
      t.observe(beat('pod-c', []), 0);
    }
    expect(b.livePods(LEASE_MS)).toEqual(['pod-a', 'pod-b', 'pod-c']);
    expect([b.isReaper(LEASE_MS), c.isReaper(LEASE_MS)]).toEqual([false, false]);
    c.observe(beat('pod-b', []), LEASE_MS);
    b.observe(beat('pod-c', []), LEASE_MS);
    expect(b.livePods(LEASE_MS + 1)).toEqual(['pod-b', 'pod-c']);
    expect([b.isReaper(LEASE_MS + 1), c.isReaper(LEASE_MS + 1)]).toEqual([true, false]);
  });

  it("lists a dead pod's calls that no live pod holds and that have not ended, then forgets the pod", () => {
    const t = new PresenceTable({ podId: 'pod-b', incarnation: 'i1' });
    t.observe(beat('pod-a', ['x', 'moved', 'ended']), 0);
    t.observe(beat('pod-c', ['moved']), LEASE_MS + 500);
    // Another tenant's x on a live pod is another call: pod-a's x is still an orphan.
    t.observe(beat('pod-e', ['x'], {}, 'u'), LEASE_MS + 500);
    const key = (callId: string) => callKey({ tenantId: 't', callId });
    const ended = (k: string) => k === key('ended');
    expect(t.orphans(LEASE_MS, ended)).toEqual([]);
    const orphans = t.orphans(LEASE_MS + 1, ended);
    expect(orphans.map((o) => [o.podId, o.lease.meta.callId, o.lastBeatAtMs])).toEqual([
      ['pod-a', 'x', 1_700_000_000_000],
    ]);
    expect(t.orphans(LEASE_MS + 2, (k) => k === key('x') || ended(k))).toEqual([]);
    // Forgotten: even with x open again, pod-a is gone.
    expect(t.orphans(LEASE_MS + 3, ended)).toEqual([]);
    t.observe(beat('pod-d', ['y']), 0);
    expect(t.orphans(FORGET_MS + LEASE_MS + 501, () => false)).toEqual([]);
  });

  it('forgets a pod that stopped cleanly and validates heartbeats at the boundary', () => {
    const t = new PresenceTable({ podId: 'pod-b', incarnation: 'i1' });
    t.observe(beat('pod-a', ['x']), 0);
    t.observe(beat('pod-a', [], { state: 'stopped' }), 100);
    expect(t.orphans(LEASE_MS * 2, () => false)).toEqual([]);
    expect(heartbeatSchema.safeParse(beat('pod-a', ['x'])).success).toBe(true);
    expect(heartbeatSchema.safeParse({ ...beat('pod-a', []), podId: '' }).success).toBe(false);
    expect(heartbeatSchema.safeParse({ ...beat('pod-a', []), extra: 1 }).success).toBe(false);
  });
});
