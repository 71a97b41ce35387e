// Events of made-up calls for the wallboard's tests: exact values, no audio or model needed.
import type { Emotion } from '../../../../core/emotions.ts';
import {
  type AlertAckEvent,
  type AlertEvent,
  type CallSummaryEvent,
  EVENT_SCHEMA_VERSION,
  type Explanation,
  parseEvent,
  type ScoreEvent,
} from '../../../../core/events/schema.ts';

export interface CallMeta {
  tenantId: string;
  callId: string;
  agentId?: string | null;
  queue?: string | null;
  customerId?: string;
  /** Epoch ms the call started. */
  startedAtMs: number;
}

const envelope = (c: CallMeta, eventId: string, producedAtMs: number) => ({
  schemaVersion: EVENT_SCHEMA_VERSION,
  eventId,
  tenantId: c.tenantId,
  callId: c.callId,
  agentId: c.agentId ?? null,
  queue: c.queue ?? null,
  ...(c.customerId ? { customerId: c.customerId } : {}),
  producedAtMs,
});

/** One scored window ending `endMs` into the call; `probs` default to the frustration's share of angry. */
export function scoreAt(
  c: CallMeta,
  endMs: number,
  frustration: number,
  over: Partial<Pick<ScoreEvent, 'speaker' | 'probs' | 'valence' | 'explanation'>> = {},
): ScoreEvent {
  const angry = Math.min(1, frustration);
  return parseEvent({
    ...envelope(c, `${c.callId}:${over.speaker ?? 'customer'}:${endMs}`, c.startedAtMs + endMs),
    type: 'score',
    speaker: over.speaker ?? 'customer',
    windowStartMs: Math.max(0, endMs - 2000),
    windowEndMs: endMs,
    probs: over.probs ?? { angry, disgust: 0, fear: 0, happy: 0, neutral: 1 - angry, sad: 0 },
    valence: over.valence ?? 0.5 - frustration,
    arousal: 0.5,
    frustration,
    speechRatio: 1,
    modelVersion: 'test',
    ...(over.explanation ? { explanation: over.explanation } : {}),
  }) as ScoreEvent;
}

/**
 * The explanation of the 2 s window ending `endMs` (as scoreAt makes it) cut into `segments` equal
 * segments, weights alternating in sign and growing towards the window's end.
 */
export function explanationAt(endMs: number, segments = 10, emotion: Emotion = 'angry'): Explanation {
  const startMs = Math.max(0, endMs - 2000);
  const step = (endMs - startMs) / segments;
  return {
    emotion,
    segments: Array.from({ length: segments }, (_, k) => ({
      startMs: Math.round(startMs + k * step),
      endMs: Math.round(startMs + (k + 1) * step),
      weight: ((k % 2 === 0 ? 1 : -1) * Math.round(((k + 1) / segments) * 0.2 * 1e4)) / 1e4,
    })),
  };
}

export function alertAt(
  c: CallMeta,
  atMs: number,
  severity: 'warning' | 'critical',
  over: Partial<Pick<AlertEvent, 'producedAtMs' | 'message'>> = {},
): AlertEvent {
  return parseEvent({
    ...envelope(
      c,
      `${c.callId}:alert:customer_frustration_sustained:${atMs}`,
      over.producedAtMs ?? c.startedAtMs + atMs,
    ),
    type: 'alert',
    rule: 'customer_frustration_sustained',
    speaker: 'customer',
    severity,
    atMs,
    value: 0.6,
    threshold: 0.4,
    message: over.message ?? `customer frustration sustained (test alert at ${atMs / 1000} s)`,
  }) as AlertEvent;
}

export function summaryOf(c: CallMeta, durationMs: number, meanFrustration: number): CallSummaryEvent {
  const stats = {
    emotionMix: {
      angry: meanFrustration,
      disgust: 0,
      fear: 0,
      happy: 0,
      neutral: 1 - meanFrustration,
      sad: 0,
    },
    meanFrustration,
    peakFrustration: meanFrustration,
    peakFrustrationAtMs: null,
    startValence: 0,
    endValence: 0,
    startFrustration: meanFrustration,
    endFrustration: meanFrustration,
    scoredWindows: 1,
  };
  return parseEvent({
    ...envelope(c, `${c.callId}:summary`, c.startedAtMs + durationMs),
    type: 'call_summary',
    startedAtMs: c.startedAtMs,
    endedAtMs: c.startedAtMs + durationMs,
    durationMs,
    overtalkMs: 0,
    customer: { talk: { talkMs: durationMs, silenceMs: 0 }, emotion: stats },
    agent: { talk: { talkMs: 0, silenceMs: durationMs }, emotion: null },
    alerts: 0,
    modelVersion: 'test',
  }) as CallSummaryEvent;
}

/** `by` acknowledging `alert` at `atMs` (epoch ms), as the wallboard publishes it. */
export function ackOf(alert: AlertEvent, by: string, atMs: number): AlertAckEvent {
  const { eventId, tenantId, callId, agentId, queue, customerId, schemaVersion } = alert;
  return parseEvent({
    schemaVersion,
    eventId: `ack:${eventId}:${by}:${atMs}`.slice(0, 128),
    tenantId,
    callId,
    agentId,
    queue,
    ...(customerId ? { customerId } : {}),
    producedAtMs: atMs,
    type: 'alert_ack',
    alertId: eventId,
    by,
  }) as AlertAckEvent;
}
