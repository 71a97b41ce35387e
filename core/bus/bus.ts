// The event bus every service talks to. Two implementations share this interface: an in-process
// bus (the embedded default of `npm start`) and Kafka (the pipeline); configuration picks one.
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
  | 'JOIN_TIMEOUT';

export class BusError<Code extends BusErrorCode = BusErrorCode> extends VoicePulseError<Code> {}

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
   * resolves once the bus has durably accepted all of them (Kafka: acks=all).
   */
  publish(events: readonly VoicePulseEvent[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}
