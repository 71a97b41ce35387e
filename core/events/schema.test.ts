import { describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_VERSION, EventValidationError, parseEvent, type ScoreEvent } from './schema.ts';

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

  it('rejects unknown fields and unknown types', () => {
    expect(() => parseEvent({ ...score, extra: 1 })).toThrow(EventValidationError);
    expect(() => parseEvent({ ...score, type: 'nope' })).toThrow(EventValidationError);
    expect(() => parseEvent('not an object')).toThrow(EventValidationError);
  });
});
