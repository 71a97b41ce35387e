// Where a pod's cluster feed comes from: every event of the cluster and every pod's heartbeat, read
// from the latest position (a watcher wants what happens now; history is the query API's), and
// where this pod's own heartbeats go. Kafka in production (kafka.ts); an in-memory one joins
// several feeds in one process for tests (testing/memory.ts).
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import type { Heartbeat } from './presence.ts';

export interface FeedHandlers {
  /** Validated events, in each call's order per event type. */
  events(events: readonly VoicePulseEvent[]): void;
  /** A validated heartbeat of any pod, this one's included. */
  heartbeat(beat: Heartbeat): void;
}

export interface FeedSource {
  /** Starts reading; resolves once reading from the latest position is under way. */
  start(handlers: FeedHandlers): Promise<void>;
  /** Sends this pod's heartbeat. */
  heartbeat(beat: Heartbeat): Promise<void>;
  stop(): Promise<void>;
}
