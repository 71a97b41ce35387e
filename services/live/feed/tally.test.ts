import { describe, expect, it } from 'vitest';
import { syntheticCall } from '../../../core/bus/testing/synthetic.ts';
import { parseEvent } from '../../../core/events/schema.ts';
import { EmotionSummary } from '../../../core/streaming/summary.ts';
import { CallTally } from './tally.ts';

const meta = { callId: 'c-1', tenantId: 'acme', agentId: 'a-1', queue: 'q' };
const lease = { meta, startedAtMs: 1_700_000_000_000 };

describe('CallTally', () => {
  it('gives the statistics the scoring thread would, in bounded memory, for short and long calls', () => {
    for (const durationMs of [20_000, 600_000]) {
      const call = syntheticCall({ ...meta, startedAtMs: lease.startedAtMs, durationMs, escalation: 0.8 });
      const tally = new CallTally();
      const reference = new EmotionSummary();
      for (const s of call.scores) {
        tally.add(s);
        if (s.speaker === 'customer')
          reference.add({
            startMs: s.windowStartMs,
            endMs: s.windowEndMs,
            probs: s.probs,
            valence: s.valence,
            frustration: s.frustration,
          });
      }
      for (const a of call.alerts) tally.add(a);
      const summary = tally.interruptedSummary(
        lease,
        lease.startedAtMs + durationMs,
        lease.startedAtMs + durationMs + 7000,
      );
      expect(parseEvent(summary)).toBe(summary);
      const want = reference.stats()!;
      const got = summary.customer.emotion!;
      for (const [k, v] of Object.entries(want))
        if (typeof v === 'number') expect(got[k as keyof typeof got], k).toBeCloseTo(v, 9);
      for (const [e, p] of Object.entries(want.emotionMix))
        expect(got.emotionMix[e as keyof typeof got.emotionMix]).toBeCloseTo(p, 9);
      expect(summary).toMatchObject({
        eventId: 'c-1:summary',
        interrupted: true,
        alerts: call.alerts.length,
        durationMs,
        startedAtMs: lease.startedAtMs,
        endedAtMs: lease.startedAtMs + durationMs,
        modelVersion: 'synthetic-1',
      });
      // Non-overlapping windows: talk = Σ speech ratio × window length.
      const talk = call.scores
        .filter((s) => s.speaker === 'customer')
        .reduce((t, s) => t + s.speechRatio * (s.windowEndMs - s.windowStartMs), 0);
      expect(summary.customer.talk.talkMs).toBe(Math.round(talk));
      expect(summary.customer.talk.talkMs + summary.customer.talk.silenceMs).toBe(durationMs);
    }
  });

  it('counts a redelivered window once and ends a call it saw nothing of with empty statistics', () => {
    const call = syntheticCall({ ...meta, startedAtMs: lease.startedAtMs, durationMs: 10_000 });
    const once = new CallTally();
    const twice = new CallTally();
    for (const s of call.scores) once.add(s);
    for (const s of [...call.scores, ...call.scores]) twice.add(s);
    const at = lease.startedAtMs + 10_000;
    expect(twice.interruptedSummary(lease, at, at)).toEqual(once.interruptedSummary(lease, at, at));
    const blind = new CallTally().interruptedSummary(lease, lease.startedAtMs + 4000, at);
    expect(parseEvent(blind)).toBe(blind);
    expect(blind).toMatchObject({
      durationMs: 4000,
      customer: { talk: { talkMs: 0, silenceMs: 4000 }, emotion: null },
      agent: { emotion: null },
      modelVersion: 'unknown',
      interrupted: true,
    });
  });
});
