// The event bus every service talks to. Two implementations share this interface: an in-process
// bus (the embedded default of `npm start`) and Kafka (the pipeline); configuration picks one.
import { z } from 'zod';
import { VoicePulseError } from '../errors.ts';
import type { EventType, VoicePulseEvent } from '../events/schema.ts';

/** Kafka topic (or in-process channel) for each event type; keyed by call id. */
export const TOPICS: Readonly<Record<EventType, string>> = {
  score: 'voicepulse.scores',
  alert: 'voicepulse.alerts',
  call_summary: 'voicepulse.summaries',
  alert_ack: 'voicepulse.acks',
};
export const DEAD_LETTER_TOPIC = 'voicepulse.dead-letter';

/** Why the bus refused a call, or what it reports through `onError` while it keeps going. */
export type BusErrorCode =
  /** publish or subscribe after close(). */
  | 'BUS_CLOSED'
  /** A consumer group fell behind the in-process bus's retention. */
  | 'EVENTS_DROPPED'
  /** A message that is not a valid event went to the dead-letter topic. */
  | 'DEAD_LETTERED'
  /** A Kafka subscription did not join its consumer group in time. */
  | 'JOIN_TIMEOUT'
  /** A Kafka consumer stopped on an error kafkajs does not restart after; a new member replaces it. */
  | 'CONSUMER_CRASHED'
  /** A topic another process is still creating: no partitions in the metadata yet (retried). */
  | 'TOPIC_NOT_READY'
  /** Event origins that are not one valid origin per event. */
  | 'BAD_ORIGIN';

export class BusError<Code extends BusErrorCode = BusErrorCode> extends VoicePulseError<Code> {}

/**
 * Where an event was recorded before it was published, when it was: a recording's own log
 * (core/recordings/store.ts). Every copy of the event that is published carries the same origin,
 * and the sink stores an event by its origin where it has one (services/sink/sink.ts), so a log
 * published twice, or again after a publish that died half-way, is stored once.
 */
export interface EventOrigin {
  /** Names the log. */
  readonly source: string;
  /** The event's place in that log: copies of one log give each event the same offset. */
  readonly offset: number;
}

const eventOriginSchema = z.strictObject({
  source: z.string().min(1).max(512),
  offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

/** One valid origin from untrusted input (a Kafka record's headers); BusError BAD_ORIGIN otherwise. */
export function parseOrigin(origin: unknown): EventOrigin {
  const parsed = eventOriginSchema.safeParse(origin);
  if (parsed.success) return parsed.data;
  throw new BusError('BAD_ORIGIN', `bad event origin: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
}

/** Checks publish's `origins`: absent, or one valid origin per event. */
export function checkOrigins(
  events: readonly VoicePulseEvent[],
  origins: readonly EventOrigin[] | undefined,
): readonly EventOrigin[] | undefined {
  if (origins === undefined) return undefined;
  if (origins.length !== events.length)
    throw new BusError('BAD_ORIGIN', `${origins.length} origins for ${events.length} events`);
  return origins.map(parseOrigin);
}

export interface BatchHandlerContext {
  /** Topic the batch came from (without the bus's topic prefix). */
  topic: string;
  /**
   * The log this batch was read from, as the group sees it: `<group>@<topic>#<partition>` on Kafka;
   * the in-process bus adds a random id per bus instance, since its offsets restart with the process.
   * Offsets only mean something within one source.
   */
  source: string;
  /** Offset of each event in `source`, in the order of the events (increasing, gaps possible). */
  offsets: readonly number[];
  /** The origin each event was published with (undefined for one without); absent when none had one. */
  origins?: readonly (EventOrigin | undefined)[];
}

/**
 * Receives a batch of validated events. The bus marks the batch consumed (commits offsets) only
 * after the returned promise resolves; a rejection means the batch is delivered again.
 */
export type BatchHandler = (events: VoicePulseEvent[], context: BatchHandlerContext) => Promise<void>;

export interface SubscribeOptions {
  /** Consumers sharing a group id split the partitions; each group sees every event. */
  groupId: string;
  types: readonly EventType[];
  handler: BatchHandler;
  /** Start from the earliest retained event when the group has no committed position. */
  fromBeginning?: boolean;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface EventBus {
  /**
   * Validates every event (throws EventValidationError before sending anything if one is bad) and
   * resolves once the bus has durably accepted all of them (Kafka: acks=all). `origins[i]` is the
   * origin of `events[i]`, delivered with it.
   */
  publish(events: readonly VoicePulseEvent[], origins?: readonly EventOrigin[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}
