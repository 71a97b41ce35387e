// The embedded event bus (`npm start` without Kafka): Kafka's semantics that the pipeline relies on
// — per-call ordering through call-id partitions, consumer groups that split partitions and keep a
// committed position, batches, redelivery of a batch whose handler rejected — inside one process.
//
// Memory is bounded: each topic keeps at most `retainPerPartition` events per partition (like
// Kafka's retention). A consumer group that falls further behind than that loses the oldest events;
// they are counted in `stats().dropped` and reported through `onError`. Worst case memory is
// 3 topics × partitions × retainPerPartition events (defaults: 3 × 4 × 20,000 ≈ 240,000 events).
import { randomUUID } from 'node:crypto';
import { type EventType, parseEvent, type VoicePulseEvent } from '../events/schema.ts';
import {
  type BatchHandler,
  BusError,
  checkOrigins,
  type EventBus,
  type EventOrigin,
  type SubscribeOptions,
  type Subscription,
  TOPICS,
} from './bus.ts';
import { partitionFor } from './partition.ts';

export interface InProcessBusOptions {
  /** Partitions per topic (default 4). */
  partitions?: number;
  /** Events kept per partition before the oldest are dropped (default 20,000). */
  retainPerPartition?: number;
  /** Most events handed to one handler call (default 1,000). */
  maxBatch?: number;
  /** Redelivery back-off after a handler rejection: first and longest delay (default 100 / 5,000). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Handler rejections and dropped events; the bus keeps going after reporting them. */
  onError?: (error: Error, context: { groupId: string; topic: string; partition: number }) => void;
}

export class EventsDroppedError extends BusError<'EVENTS_DROPPED'> {
  constructor(readonly count: number) {
    super('EVENTS_DROPPED', `${count} events dropped: the consumer group fell behind the retention limit`);
  }
}

/** One partition's retained events (and the origins they were published with): offsets [base, end). */
class PartitionLog {
  private events: VoicePulseEvent[] = [];
  private origins: (EventOrigin | undefined)[] = [];
  /** Retained events with an origin: while none, reads hand out no origins. */
  private withOrigin = 0;
  private head = 0;
  base = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly retain: number) {}

  get end(): number {
    return this.base + this.events.length - this.head;
  }

  append(event: VoicePulseEvent, origin: EventOrigin | undefined): void {
    this.events.push(event);
    this.origins.push(origin);
    if (origin) this.withOrigin++;
    if (this.events.length - this.head > this.retain) {
      if (this.origins[this.head]) this.withOrigin--;
      this.head++;
      this.base++;
      // Compact now and then so trimming stays amortised O(1) instead of Array#shift's O(n).
      if (this.head > this.retain) {
        this.events = this.events.slice(this.head);
        this.origins = this.origins.slice(this.head);
        this.head = 0;
      }
    }
  }

  read(offset: number, max: number): { events: VoicePulseEvent[]; origins?: (EventOrigin | undefined)[] } {
    const from = this.head + (offset - this.base);
    const events = this.events.slice(from, from + max);
    if (this.withOrigin === 0) return { events };
    const origins = this.origins.slice(from, from + max);
    return origins.some((o) => o !== undefined) ? { events, origins } : { events };
  }

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

interface Member {
  topics: ReadonlySet<string>;
  handler: BatchHandler;
  inFlight: Set<Promise<void>>;
}

interface Group {
  members: Member[];
  /** Next offset to deliver, per `${topic}/${partition}`. */
  committed: Map<string, number>;
  pumps: Set<string>;
}

export interface InProcessBusStats {
  published: number;
  dropped: number;
}

export class InProcessBus implements EventBus {
  private readonly partitions: number;
  private readonly retain: number;
  private readonly maxBatch: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly logs = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly counters: InProcessBusStats = { published: 0, dropped: 0 };
  private closed = false;
  /** Offsets restart with every bus instance, so sources name the instance. */
  private readonly instance = randomUUID();

  constructor(private readonly options: InProcessBusOptions = {}) {
    this.partitions = positiveInt('partitions', options.partitions ?? 4);
    this.retain = positiveInt('retainPerPartition', options.retainPerPartition ?? 20_000);
    this.maxBatch = positiveInt('maxBatch', options.maxBatch ?? 1_000);
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
    for (const topic of Object.values(TOPICS)) {
      this.logs.set(
        topic,
        Array.from({ length: this.partitions }, () => new PartitionLog(this.retain)),
      );
    }
  }

  stats(): InProcessBusStats {
    return { ...this.counters };
  }

  async publish(events: readonly VoicePulseEvent[], origins?: readonly EventOrigin[]): Promise<void> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'the event bus is closed');
    // Validate all first: a bad event rejects the whole call before anything is published.
    const parsed = events.map((e) => parseEvent(e));
    const checked = checkOrigins(parsed, origins);
    const touched = new Set<PartitionLog>();
    for (const [i, event] of parsed.entries()) {
      const log = this.partitionLogs(TOPICS[event.type])[partitionFor(event.callId, this.partitions)];
      log?.append(event, checked?.[i]);
      if (log) touched.add(log);
    }
    this.counters.published += parsed.length;
    for (const log of touched) log.wake();
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'the event bus is closed');
    const topics = new Set(options.types.map((t: EventType) => TOPICS[t]));
    const member: Member = { topics, handler: options.handler, inFlight: new Set() };
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = { members: [], committed: new Map(), pumps: new Set() };
      this.groups.set(options.groupId, group);
    }
    group.members.push(member);
    for (const topic of topics) {
      this.partitionLogs(topic).forEach((log, partition) => {
        const key = `${topic}/${partition}`;
        if (!group.committed.has(key)) {
          group.committed.set(key, options.fromBeginning ? log.base : log.end);
        }
        if (!group.pumps.has(key)) {
          group.pumps.add(key);
          void this.pump(options.groupId, group, topic, partition);
        }
      });
    }
    const ownGroup = group;
    return {
      stop: async () => {
        ownGroup.members = ownGroup.members.filter((m) => m !== member);
        // Wake idle pumps so ones left without members exit; wait for this member's batch in flight.
        for (const topic of topics) for (const log of this.partitionLogs(topic)) log.wake();
        await Promise.allSettled([...member.inFlight]);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const inFlight: Promise<void>[] = [];
    for (const group of this.groups.values()) {
      for (const m of group.members) inFlight.push(...m.inFlight);
      group.members = [];
    }
    for (const logs of this.logs.values()) for (const log of logs) log.wake();
    await Promise.allSettled(inFlight);
  }

  private partitionLogs(topic: string): PartitionLog[] {
    const logs = this.logs.get(topic);
    if (!logs) throw new Error(`unknown topic ${topic}`);
    return logs;
  }

  /** Delivers one partition to the group, in order, one batch at a time, until no member wants it. */
  private async pump(groupId: string, group: Group, topic: string, partition: number): Promise<void> {
    const key = `${topic}/${partition}`;
    const log = this.partitionLogs(topic)[partition] as PartitionLog;
    let delay = this.retryDelayMs;
    for (;;) {
      const members = group.members.filter((m) => m.topics.has(topic));
      // Partitions are spread over the group's members like Kafka's round-robin assignor.
      const member = members[partition % Math.max(1, members.length)];
      if (this.closed || !member) break;
      let offset = group.committed.get(key) ?? log.end;
      if (offset < log.base) {
        const lost = log.base - offset;
        this.counters.dropped += lost;
        this.options.onError?.(new EventsDroppedError(lost), { groupId, topic, partition });
        offset = log.base;
        group.committed.set(key, offset);
      }
      if (offset >= log.end) {
        await log.wait();
        continue;
      }
      const { events: batch, origins } = log.read(offset, this.maxBatch);
      const context = {
        topic,
        source: `${groupId}@${this.instance}/${topic}#${partition}`,
        offsets: batch.map((_, i) => offset + i),
        ...(origins ? { origins } : {}),
      };
      // Through a promise chain so a handler that throws synchronously is redelivered too.
      const delivery = Promise.resolve().then(() => member.handler(batch, context));
      member.inFlight.add(delivery);
      try {
        await delivery;
        group.committed.set(key, offset + batch.length);
        delay = this.retryDelayMs;
      } catch (err) {
        this.options.onError?.(asError(err), { groupId, topic, partition });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.maxRetryDelayMs);
      } finally {
        member.inFlight.delete(delivery);
      }
    }
    group.pumps.delete(key);
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
