// Several pods' feeds in one process: what one publishes (events, heartbeats) reaches every started
// source, synchronously, as Kafka would after a short delay. A source can be cut off (a killed pod).
import type { VoicePulseEvent } from '../../../../core/events/schema.ts';
import type { Heartbeat } from '../presence.ts';
import type { FeedHandlers, FeedSource } from '../source.ts';

export class MemoryFeedNetwork {
  private readonly members = new Set<FeedHandlers>();

  /** Events as the bus would carry them to every pod. */
  publish(events: readonly VoicePulseEvent[]): void {
    for (const m of this.members) m.events(events);
  }

  source(): FeedSource & { kill(): void } {
    let mine: FeedHandlers | undefined;
    let dead = false;
    return {
      start: async (handlers) => {
        mine = handlers;
        this.members.add(handlers);
      },
      heartbeat: async (beat: Heartbeat) => {
        if (dead) throw new Error('pod killed');
        for (const m of this.members) m.heartbeat(beat);
      },
      stop: async () => {
        if (mine) this.members.delete(mine);
      },
      kill: () => {
        dead = true;
        if (mine) this.members.delete(mine);
      },
    };
  }
}
