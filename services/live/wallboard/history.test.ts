import { describe, expect, it } from 'vitest';
import { EMOTIONS } from '../../../core/emotions.ts';
import { BoardHistory } from './history.ts';
import { ackOf, alertAt, explanationAt, scoreAt, summaryOf } from './testing/events.ts';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function clocked(options: ConstructorParameters<typeof BoardHistory>[0] = {}) {
  let now = T0;
  const history = new BoardHistory({ ...options, now: () => now });
  return { history, advance: (ms: number) => (now += ms), at: () => now };
}

describe('BoardHistory', () => {
  it('replays a live call from its first window, with its alerts, to a board opened later', () => {
    const { history, advance } = clocked();
    const call = { tenantId: 'acme', callId: 'c1', agentId: 'ann', queue: 'billing', startedAtMs: T0 };
    for (let s = 2; s <= 30; s++) {
      advance(1000);
      history.record(scoreAt(call, s * 1000, s / 40));
    }
    history.record(alertAt(call, 20_000, 'warning'));
    const snap = history.snapshot('acme');
    expect(snap.calls).toHaveLength(1);
    const [c] = snap.calls;
    expect(c!.startedAtMs).toBe(T0);
    expect(c!.endedAtMs).toBeNull();
    expect(c!.windows.endMs[0]).toBe(2000);
    expect(c!.windows.endMs).toHaveLength(29);
    expect(c!.windows.frustration.at(-1)).toBe(0.75);
    expect(c!.windows.probs).toHaveLength(29 * 6);
    expect(snap.alerts.map((a) => [a.callId, a.atMs, a.ack])).toEqual([['c1', 20_000, null]]);
    // Another tenant sees nothing of it.
    expect(history.snapshot('globex')).toMatchObject({ calls: [], alerts: [], ended: [] });
  });

  it('sends a snapshot only the tail of each call, and the whole kept call on request', () => {
    const { history } = clocked();
    const call = { tenantId: 't', callId: 'long', startedAtMs: T0 };
    for (let s = 1; s <= 300; s++) history.record(scoreAt(call, s * 1000, 0.2));
    expect(history.snapshot('t', 60).calls[0]!.windows.endMs).toHaveLength(60);
    expect(history.snapshot('t', 60).calls[0]!.droppedWindows).toBe(240);
    expect(history.call('t', 'long')!.windows.endMs).toHaveLength(300);
    expect(history.call('t', 'nope')).toBeUndefined();
    expect(history.call('other', 'long')).toBeUndefined();
  });

  it("keeps each window's explanation for the whole call, not in snapshots, through dropped windows", () => {
    const { history } = clocked({ maxWindowsPerCall: 64 });
    const call = { tenantId: 't', callId: 'x', startedAtMs: T0 };
    // Every third window unexplained, the others with 1 … 32 segments (the schema's most).
    const explanation = (s: number) =>
      s % 3 === 0 ? undefined : explanationAt(s * 1000, 1 + (s % 32), 'sad');
    for (let s = 2; s <= 200; s++) {
      const x = explanation(s);
      history.record(scoreAt(call, s * 1000, 0.2, x ? { explanation: x } : {}));
    }
    expect(history.snapshot('t').calls[0]!.windows.explanations).toBeUndefined();
    const { windows, droppedWindows } = history.call('t', 'x')!;
    expect(droppedWindows).toBeGreaterThan(0);
    const x = windows.explanations!;
    expect(x.emotion).toHaveLength(windows.endMs.length);
    let j = 0;
    windows.endMs.forEach((endMs, i) => {
      const want = explanation(endMs / 1000);
      expect([endMs, x.emotion[i], x.segments[i]]).toEqual([
        endMs,
        want ? EMOTIONS.indexOf('sad') : -1,
        want?.segments.length ?? 0,
      ]);
      for (const segment of want?.segments ?? []) {
        expect([x.startMs[j], x.endMs[j]]).toEqual([segment.startMs, segment.endMs]);
        expect(x.weight[j]).toBeCloseTo(segment.weight, 4);
        j++;
      }
    });
    expect(x.startMs).toHaveLength(j);
  });

  it('bounds windows per call, calls, and alerts per tenant', () => {
    const { history } = clocked({ maxWindowsPerCall: 100, maxCalls: 5, maxAlertsPerTenant: 3 });
    const call = { tenantId: 't', callId: 'c', startedAtMs: T0 };
    for (let s = 1; s <= 1000; s++) history.record(scoreAt(call, s * 1000, 0.1));
    const kept = history.call('t', 'c')!;
    expect(kept.windows.endMs.length).toBeLessThanOrEqual(100);
    expect(kept.windows.endMs.at(-1)).toBe(1_000_000); // the newest are kept
    expect(kept.droppedWindows + kept.windows.endMs.length).toBe(1000);
    for (let i = 0; i < 20; i++) history.record(scoreAt({ ...call, callId: `x${i}` }, 1000, 0.1));
    expect(history.size).toBe(5);
    for (let i = 0; i < 10; i++) history.record(alertAt({ ...call, callId: 'x19' }, i * 1000, 'warning'));
    expect(history.snapshot('t').alerts.map((a) => a.atMs)).toEqual([7000, 8000, 9000]);
  });

  it('keeps an ended call for the retention time, and its frustration for the last-hour baseline', () => {
    const { history, advance } = clocked({ endedRetentionMs: 60_000 });
    const call = { tenantId: 't', callId: 'done', agentId: 'bo', queue: 'sales', startedAtMs: T0 };
    history.record(scoreAt(call, 2000, 0.2));
    history.record(scoreAt(call, 3000, 0.4));
    history.record(scoreAt(call, 3000, 0.9, { speaker: 'agent' }));
    history.record(summaryOf(call, 3500, 0.3));
    const snap = history.snapshot('t');
    expect(snap.calls[0]!.endedAtMs).toBe(T0 + 3500);
    expect(snap.calls[0]!.durationMs).toBe(3500);
    expect(snap.ended).toEqual([
      {
        callId: 'done',
        agentId: 'bo',
        queue: 'sales',
        endedAtMs: T0 + 3500,
        frustrationSum: expect.closeTo(0.6, 6),
        windows: 2,
      },
    ]);
    advance(63_000); // 59.5 s after the end: still replayable
    expect(history.snapshot('t').calls).toHaveLength(1);
    advance(1000);
    expect(history.snapshot('t').calls).toEqual([]);
    expect(history.snapshot('t').ended).toHaveLength(1);
    advance(3_600_000);
    expect(history.snapshot('t').ended).toEqual([]);
  });

  it('marks a call that a dead pod’s summary ended as interrupted, and only that one', () => {
    const { history } = clocked({});
    const cut = { tenantId: 't', callId: 'cut', startedAtMs: T0 };
    const whole = { tenantId: 't', callId: 'whole', startedAtMs: T0 };
    history.record(scoreAt(cut, 2000, 0.2));
    history.record(scoreAt(whole, 2000, 0.2));
    history.record({ ...summaryOf(cut, 2500, 0.2), interrupted: true });
    history.record(summaryOf(whole, 2500, 0.2));
    const byId = new Map(history.snapshot('t').calls.map((c) => [c.callId, c]));
    expect(byId.get('cut')).toMatchObject({ interrupted: true, endedAtMs: T0 + 2500 });
    expect(byId.get('whole')).toMatchObject({ interrupted: false, endedAtMs: T0 + 2500 });
  });

  it('ends a call whose summary never comes once it has been silent for staleMs', () => {
    const { history, advance } = clocked({ staleMs: 10_000 });
    const call = { tenantId: 't', callId: 'lost', startedAtMs: T0 };
    history.record(scoreAt(call, 2000, 0.2));
    advance(5000);
    expect(history.snapshot('t').calls[0]!.endedAtMs).toBeNull();
    advance(6000);
    expect(history.snapshot('t').calls[0]!.endedAtMs).toBe(T0);
  });

  it('drops alerts older than the retention', () => {
    const { history, advance } = clocked({ alertRetentionMs: 3_600_000 });
    const call = { tenantId: 't', callId: 'c', startedAtMs: T0 };
    history.record(alertAt(call, 1000, 'warning', { producedAtMs: T0 }));
    advance(3_600_001);
    history.record(alertAt(call, 2000, 'critical', { producedAtMs: T0 + 3_600_001 }));
    expect(history.snapshot('t').alerts.map((a) => a.severity)).toEqual(['critical']);
  });

  it('records the first acknowledgement of an alert and tells the tenant’s subscribers only', () => {
    const { history, advance, at } = clocked();
    const call = { tenantId: 't', callId: 'c', startedAtMs: T0 };
    const alert = alertAt(call, 5000, 'critical');
    const lines: string[] = [];
    const others: string[] = [];
    const unsubscribe = history.subscribe('t', (l) => lines.push(l));
    history.subscribe('u', (l) => others.push(l));
    history.record(alert);
    advance(2000);
    const acknowledge = (tenant: string, alertId: string, by: string) => {
      const event = history.ackEvent(tenant, alertId, by);
      if (event) history.record(event);
      return history.ackOf(tenant, alertId);
    };
    expect(acknowledge('t', alert.eventId, 'Dana')).toEqual({ by: 'Dana', atMs: at() });
    advance(1000);
    expect(acknowledge('t', alert.eventId, 'Eve')).toEqual({ by: 'Dana', atMs: at() - 1000 });
    expect(acknowledge('u', alert.eventId, 'Eve')).toBeUndefined();
    expect(acknowledge('t', 'no-such-alert', 'Eve')).toBeUndefined();
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['alert', 'ack']);
    expect(JSON.parse(lines[1]!)).toMatchObject({ alertId: alert.eventId, callId: 'c', ack: { by: 'Dana' } });
    expect(others).toEqual([]);
    expect(history.snapshot('t').alerts[0]!.ack).toEqual({ by: 'Dana', atMs: T0 + 2000 });
    unsubscribe();
    history.record(scoreAt(call, 6000, 0.1));
    expect(lines).toHaveLength(2);
  });

  it('names each call by its customer when its events carry one', () => {
    const { history } = clocked();
    history.record(
      scoreAt({ tenantId: 't', callId: 'known', customerId: '+15551230000', startedAtMs: T0 }, 2000, 0.1),
    );
    history.record(scoreAt({ tenantId: 't', callId: 'anonymous', startedAtMs: T0 }, 2000, 0.1));
    const byId = new Map(history.snapshot('t').calls.map((c) => [c.callId, c.customerId]));
    expect(byId).toEqual(
      new Map([
        ['known', '+15551230000'],
        ['anonymous', null],
      ]),
    );
    expect(history.call('t', 'known')!.customerId).toBe('+15551230000');
  });

  it('takes acknowledgements as events: the first stands, boards are told once, no call is made of them', () => {
    const { history } = clocked();
    const call = { tenantId: 't', callId: 'c', startedAtMs: T0 };
    const alert = alertAt(call, 5000, 'critical');
    const lines: string[] = [];
    history.subscribe('t', (l) => lines.push(l));
    history.record(alert);
    history.record(ackOf(alert, 'Dana', T0 + 7000));
    history.record(ackOf(alert, 'Eve', T0 + 8000));
    history.record(ackOf(alertAt(call, 9000, 'warning'), 'Eve', T0 + 9000));
    expect(history.snapshot('t').alerts.map((a) => a.ack)).toEqual([{ by: 'Dana', atMs: T0 + 7000 }]);
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['alert', 'ack']);
    expect(history.snapshot('t').calls).toHaveLength(1);
    // The event a board's acknowledgement publishes: the alert's call, who and now.
    const { history: other, at } = clocked();
    other.record(alert);
    expect(other.ackEvent('t', alert.eventId, 'Dana')).toMatchObject({
      type: 'alert_ack',
      alertId: alert.eventId,
      callId: 'c',
      by: 'Dana',
      producedAtMs: at(),
    });
    expect(other.ackEvent('u', alert.eventId, 'Dana')).toBeUndefined();
  });

  it('restores the last day’s alerts and each one’s first acknowledgement from the store', () => {
    const { history } = clocked({ alertRetentionMs: 3_600_000 });
    const call = { tenantId: 't', callId: 'c', customerId: 'cust-42', startedAtMs: T0 - 60_000 };
    const live = alertAt(call, 50_000, 'warning');
    history.record(live);
    const stored = alertAt(call, 10_000, 'critical');
    const tooOld = alertAt(call, 1000, 'critical', { producedAtMs: T0 - 3_600_001 });
    history.restore(
      't',
      [stored, tooOld, live],
      [ackOf(stored, 'Eve', T0 - 1000), ackOf(stored, 'Dana', T0 - 2000)],
    );
    const alerts = history.snapshot('t').alerts;
    expect(alerts.map((a) => [a.eventId, a.ack])).toEqual([
      [stored.eventId, { by: 'Dana', atMs: T0 - 2000 }],
      [live.eventId, null],
    ]);
    expect(alerts[0]!.customerId).toBe('cust-42');
  });
});
