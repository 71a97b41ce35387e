// One versioned schema for every event VoicePulse emits (scores, alerts, call summaries, alert
// acknowledgements). Every producer validates with it before publishing and every consumer validates
// on receipt, so a bad event is rejected at the boundary with a readable reason.
import { Ajv } from 'ajv';
import { z } from 'zod';
import { EMOTIONS } from '../emotions.ts';
import { VoicePulseError } from '../errors.ts';

/** Bumped on any incompatible change; consumers reject versions they do not know. */
export const EVENT_SCHEMA_VERSION = 1 as const;

export const SPEAKER_ROLES = ['customer', 'agent'] as const;
export type SpeakerRole = (typeof SPEAKER_ROLES)[number];

const id = z.string().min(1).max(128);
const probability = z.number().min(0).max(1);
const unitInterval = probability;
const epochMs = z.number().int().nonnegative();
const offsetMs = z.number().int().nonnegative();

export const emotionProbsSchema = z.strictObject(
  Object.fromEntries(EMOTIONS.map((e) => [e, probability])) as Record<
    (typeof EMOTIONS)[number],
    typeof probability
  >,
);
export type EmotionProbs = z.infer<typeof emotionProbsSchema>;

/**
 * A scored window's explanation: for its top emotion, how much each segment of the window moved
 * that emotion's probability (the probability with the whole window minus the probability with the
 * segment left out of the network's pooling). Positive: the segment supports the emotion.
 */
export const explanationSchema = z.strictObject({
  emotion: z.enum(EMOTIONS),
  /** In time order, offsets relative to the start of the call like the window's own. */
  segments: z
    .array(z.strictObject({ startMs: offsetMs, endMs: offsetMs, weight: z.number().min(-1).max(1) }))
    .min(1)
    .max(32),
});
export type Explanation = z.infer<typeof explanationSchema>;

/** Fields every event carries: who, where, and when it was produced. */
const envelope = {
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
  /** Unique and deterministic for the thing it describes, so replays deduplicate downstream. */
  eventId: id,
  tenantId: id,
  callId: id,
  agentId: id.nullable(),
  queue: id.nullable(),
  /**
   * The caller or customer as the carrier names them (a phone number, a CRM id): personal data, never
   * logged (core/events/README.md). Absent when the call's start did not give one, and on events
   * produced before the field existed.
   */
  customerId: id.optional(),
  /** Wall-clock time the event was produced (ms since the Unix epoch). */
  producedAtMs: epochMs,
};

/** One scored window of one speaker. */
export const scoreEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('score'),
  speaker: z.enum(SPEAKER_ROLES),
  /** Window bounds relative to the start of the call. */
  windowStartMs: offsetMs,
  windowEndMs: offsetMs,
  probs: emotionProbsSchema,
  /** -1 (negative) … 1 (positive). */
  valence: z.number().min(-1).max(1),
  /** 0 (calm) … 1 (aroused). */
  arousal: unitInterval,
  /** 0 … 1; see core/events/README.md for the definition. */
  frustration: unitInterval,
  /** Share of the window that held speech according to the VAD. */
  speechRatio: unitInterval,
  modelVersion: id,
  /**
   * Which parts of the window drove its score (core/model/explain.ts). Absent when explanations are
   * off, for windows shorter than the model's, and on events from before they existed.
   */
  explanation: explanationSchema.optional(),
});
export type ScoreEvent = z.infer<typeof scoreEventSchema>;

export const ALERT_RULES = [
  'customer_frustration_sustained',
  'customer_negative_shift',
  'agent_anger',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export const alertEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('alert'),
  rule: z.enum(ALERT_RULES),
  speaker: z.enum(SPEAKER_ROLES),
  severity: z.enum(['warning', 'critical']),
  /** Offset into the call at which the rule fired. */
  atMs: offsetMs,
  /** The measured value that crossed the threshold, and the threshold itself. */
  value: z.number(),
  threshold: z.number(),
  message: z.string().min(1).max(500),
});
export type AlertEvent = z.infer<typeof alertEventSchema>;

/** Non-emotion talk measures; the only thing recorded for an agent when the tenant disallows agent scoring. */
export const talkStatsSchema = z.strictObject({
  talkMs: offsetMs,
  silenceMs: offsetMs,
});

export const emotionStatsSchema = z.strictObject({
  /** Mean probability of each emotion over the speaker's scored windows. */
  emotionMix: emotionProbsSchema,
  meanFrustration: unitInterval,
  peakFrustration: unitInterval,
  peakFrustrationAtMs: offsetMs.nullable(),
  /** Mean valence / frustration over the first and last scored minute of speech. */
  startValence: z.number().min(-1).max(1),
  endValence: z.number().min(-1).max(1),
  startFrustration: unitInterval,
  endFrustration: unitInterval,
  scoredWindows: z.number().int().nonnegative(),
});

export const callSummaryEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('call_summary'),
  startedAtMs: epochMs,
  endedAtMs: epochMs,
  durationMs: offsetMs,
  /** Both speakers talking at once. */
  overtalkMs: offsetMs,
  /**
   * Call time without audio: on hold (AudioHook paused → resumed), discarded or lost by the carrier
   * (AudioHook `discarded`, lost Twilio chunks). Part of durationMs, and of neither speaker's talk nor
   * silence. Absent where unknown (an interrupted summary, or one from before it was reported).
   */
  holdMs: offsetMs.optional(),
  customer: z.strictObject({ talk: talkStatsSchema, emotion: emotionStatsSchema.nullable() }),
  /** `emotion` is null unless the tenant's policy allows agent emotion scoring. */
  agent: z.strictObject({ talk: talkStatsSchema, emotion: emotionStatsSchema.nullable() }),
  alerts: z.number().int().nonnegative(),
  modelVersion: id,
  /**
   * The live pod holding the call died before it ended (kill, crash): another pod ended the call
   * after its lease ran out, with statistics from the scores it had seen (services/live/feed).
   * Absent on a call that ended normally.
   */
  interrupted: z.literal(true).optional(),
});
export type CallSummaryEvent = z.infer<typeof callSummaryEventSchema>;

/**
 * A supervisor acknowledged an alert on the wallboard; `producedAtMs` is when. The envelope is the
 * alert's call. The first acknowledgement of an alert stands; a later one (another pod, a race) is
 * kept in history but does not replace it.
 */
export const alertAckEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('alert_ack'),
  /** The acknowledged alert's eventId. */
  alertId: id,
  /** Who acknowledged, as they named themselves on the board. */
  by: z.string().min(1).max(64),
});
export type AlertAckEvent = z.infer<typeof alertAckEventSchema>;

export const voicePulseEventSchema = z.discriminatedUnion('type', [
  scoreEventSchema,
  alertEventSchema,
  callSummaryEventSchema,
  alertAckEventSchema,
]);
export type VoicePulseEvent = z.infer<typeof voicePulseEventSchema>;
export type EventType = VoicePulseEvent['type'];

/** An event that breaks its schema: `issues` lists every problem, one line each. */
export class EventValidationError extends VoicePulseError<'INVALID_EVENT'> {
  constructor(readonly issues: readonly string[]) {
    super('INVALID_EVENT', issues.join('; '));
  }
}

// The zod schemas above are the one definition. The sink validates every Kafka message (hundreds of
// thousands a second), where zod's parse (it copies every object) is the largest cost, so each event
// type is also compiled once into an ajv validator that checks in place; zod still writes the reasons.
const ajv = new Ajv({ strictNumbers: true });
const fastValidators: ReadonlyMap<unknown, (value: unknown) => boolean> = new Map(
  voicePulseEventSchema.options.map((schema) => [
    schema.shape.type.value,
    ajv.compile(z.toJSONSchema(schema, { target: 'draft-7' })),
  ]),
);

/** Validates an unknown value as an event; throws EventValidationError listing every problem. */
export function parseEvent(value: unknown): VoicePulseEvent {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  // A valid event is returned as is (not copied): only the rejections pay for zod's readable issues.
  if (fastValidators.get(type)?.(value) === true) return value as VoicePulseEvent;
  const result = voicePulseEventSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new EventValidationError(issues);
}
