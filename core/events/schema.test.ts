import { describe, expect, it } from 'vitest';
import { syntheticCall } from '../bus/testing/synthetic.ts';
import {
  type AlertAckEvent,
  EVENT_SCHEMA_VERSION,
  EventValidationError,
  parseEvent,
  type ScoreEvent,
  type VoicePulseEvent,
  voicePulseEventSchema,
} from './schema.ts';

const score: ScoreEvent = {
  schemaVersion: EVENT_SCHEMA_VERSION,
  type: 'score',
  eventId: 'call-1:customer:0',
  tenantId: 'acme',
  callId: 'call-1',
  agentId: 'agent-7',
  queue: 'billing',
  producedAtMs: 1_764_000_000_000,
  speaker: 'customer',
  windowStartMs: 0,
  windowEndMs: 2000,
  probs: { angry: 0.5, disgust: 0.1, fear: 0.1, happy: 0.1, neutral: 0.1, sad: 0.1 },
  valence: -0.4,
  arousal: 0.7,
  frustration: 0.6,
  speechRatio: 0.8,
  modelVersion: 'emotion-v1',
};

const ack: AlertAckEvent = {
  schemaVersion: EVENT_SCHEMA_VERSION,
  type: 'alert_ack',
  eventId: 'ack-0f3c',
  tenantId: 'acme',
  callId: 'call-1',
  agentId: 'agent-7',
  queue: 'billing',
  customerId: 'cust-42',
  producedAtMs: 1_764_000_060_000,
  alertId: 'call-1:alert:customer_frustration_sustained:8000',
  by: 'Dana',
};

describe('event schema', () => {
  it('accepts a valid score event unchanged', () => {
    expect(parseEvent(structuredClone(score))).toEqual(score);
  });

  it('rejects an unknown schema version', () => {
    expect(() => parseEvent({ ...score, schemaVersion: 2 })).toThrow(EventValidationError);
  });

  it('rejects out-of-range probabilities and names the field', () => {
    try {
      parseEvent({ ...score, probs: { ...score.probs, angry: 1.5 } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EventValidationError);
      expect((err as EventValidationError).issues.join()).toContain('probs.angry');
    }
  });

  it('takes an optional customer id on every event that names a call; events without one stay valid', () => {
    expect(parseEvent({ ...score, customerId: '+15551230000' })).toMatchObject({
      customerId: '+15551230000',
    });
    expect(parseEvent(structuredClone(score))).not.toHaveProperty('customerId');
    expect(() => parseEvent({ ...score, customerId: '' })).toThrow(EventValidationError);
    expect(() => parseEvent({ ...score, customerId: 'x'.repeat(129) })).toThrow(EventValidationError);
  });

  it('accepts an alert acknowledgement naming the alert, who and when', () => {
    expect(parseEvent(structuredClone(ack))).toEqual(ack);
    expect(() => parseEvent({ ...ack, by: '' })).toThrow(EventValidationError);
    expect(() => parseEvent({ ...ack, by: 'x'.repeat(65) })).toThrow(EventValidationError);
    const { alertId: _alertId, ...noAlert } = ack;
    expect(() => parseEvent(noAlert)).toThrow(EventValidationError);
  });

  it('rejects unknown fields and unknown types', () => {
    expect(() => parseEvent({ ...score, extra: 1 })).toThrow(EventValidationError);
    expect(() => parseEvent({ ...score, type: 'nope' })).toThrow(EventValidationError);
    expect(() => parseEvent('not an object')).toThrow(EventValidationError);
  });
});

describe('compiled fast path agrees with the zod schema', () => {
  const summary = syntheticCall({
    tenantId: 'acme',
    callId: 'call-9',
    agentId: null,
    queue: 'billing',
    startedAtMs: 1_764_000_000_000,
    durationMs: 30_000,
  });
  const events: VoicePulseEvent[] = [
    score,
    { ...score, customerId: 'cust-42' },
    ack,
    summary.summary,
    ...summary.alerts,
    ...summary.scores.slice(0, 2),
  ];
  const badValues: unknown[] = [
    -1,
    1.5,
    0.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    '',
    'x'.repeat(129),
    '😀'.repeat(100), // 200 UTF-16 units, 100 code points
    '😀'.repeat(129),
    null,
    undefined,
    true,
    [],
    {},
    'customer',
  ];

  /** Every event with each top-level and nested leaf replaced by each bad value, or removed. */
  function* mutations(value: unknown, path: string[] = []): Generator<[string, unknown]> {
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      const at = [...path, key];
      for (const bad of badValues) yield [`${at.join('.')}=${String(bad)}`, { ...value, [key]: bad }];
      const { [key]: _removed, ...rest } = value as Record<string, unknown>;
      yield [`-${at.join('.')}`, rest];
      for (const [name, mutated] of mutations(child, at)) yield [name, { ...value, [key]: mutated }];
    }
    yield [`${path.join('.')}+extra`, { ...value, extra: 1 }];
  }

  it('accepts and rejects exactly what zod does, returning accepted events uncopied', () => {
    let accepted = 0;
    let rejected = 0;
    for (const event of events) {
      for (const [name, mutated] of mutations(structuredClone(event))) {
        const zodOk = voicePulseEventSchema.safeParse(mutated).success;
        let result: unknown;
        try {
          result = parseEvent(mutated);
        } catch (err) {
          expect(err, name).toBeInstanceOf(EventValidationError);
          expect(zodOk, `${name}: only the fast path rejects`).toBe(false);
          rejected++;
          continue;
        }
        expect(zodOk, `${name}: only the fast path accepts`).toBe(true);
        expect(result, `${name}: accepted by zod, not by the fast path`).toBe(mutated);
        accepted++;
      }
    }
    expect(rejected).toBeGreaterThan(500);
    expect(accepted).toBeGreaterThan(50);
  });
});
