// The event bus on Kafka (kafkajs). Producer side: topics created (or grown) on start, idempotent
// producer with acks=all and unlimited retries, key = call id so a call stays in one partition,
// JSON values that carry `schemaVersion`, no record headers but an event's origin (bus.ts
// EventOrigin), which only recordings' events have. Consumer side: a consumer group per
// subscription reading whole batches, pipelined (the next batch of a partition is fetched and
// parsed while the handler still works on the previous one); a partition's offset is committed
// only after the handler resolved, in order, a rejected batch is retried in place with back-off
// (heartbeating, so the group keeps the partition), and a message that is not a valid event (or
// carries a malformed origin) goes to the dead-letter topic with the reason in its headers. A member
// that crashed where kafkajs will not restart it is replaced by a new one (CONSUMER_CRASHED).
import {
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from 'kafkajs';
import { parseEvent, type VoicePulseEvent } from '../events/schema.ts';
import {
  type BatchHandler,
  type BatchHandlerContext,
  BusError,
  checkOrigins,
  DEAD_LETTER_TOPIC,
  type EventBus,
  type EventOrigin,
  parseOrigin,
  type SubscribeOptions,
  type Subscription,
  TOPICS,
} from './bus.ts';
import { joinMember, joinUntilStopped } from './member.ts';
import { retryTransient } from './transient.ts';

export interface KafkaBusOptions {
  brokers: readonly string[];
  clientId?: string;
  /** Partitions per topic (default 6). Existing topics with fewer partitions are grown to this. */
  partitions?: number;
  /** Replication factor for topics this bus creates (default 1; 3 on a production cluster). */
  replicationFactor?: number;
  /** Prefix for every topic name, so tests and tenants of a shared broker do not collide. */
  topicPrefix?: string;
  /** Redelivery back-off after a handler rejection: first and longest delay (default 200 / 5,000). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Handler rejections (the batch is retried) and dead-lettered messages. */
  onError?: (error: Error, context: { groupId: string; topic: string; partition: number }) => void;
  /** Most bytes fetched per partition per request (default 16 MiB): the sink's batch size. */
  maxBytesPerPartition?: number;
  /** Partitions whose batches are handled at once (default 2); order within a partition is kept. */
  partitionsConsumedConcurrently?: number;
  /** Consumer session timeout: how soon a dead sink's partitions are reassigned (default 10,000). */
  sessionTimeoutMs?: number;
  /** kafkajs's own log level (default ERROR). */
  logLevel?: logLevel;
  /**
   * How often a subscription refreshes topic metadata: partitions added while it runs (a pod started
   * with more partitions grows the topics) are taken within about this long (default 10,000;
   * kafkajs's own is 5 minutes).
   */
  metadataMaxAgeMs?: number;
}

/** Header names of an event's origin. */
export const ORIGIN_HEADERS = { source: 'x-origin-source', offset: 'x-origin-offset' } as const;

/** The origin in a record's headers; undefined without one, BusError BAD_ORIGIN when malformed. */
function originOf(headers: IHeaders | undefined): EventOrigin | undefined {
  const source = headers?.[ORIGIN_HEADERS.source]?.toString();
  const offset = headers?.[ORIGIN_HEADERS.offset]?.toString();
  if (source === undefined && offset === undefined) return undefined;
  return parseOrigin({ source, offset: /^\d{1,16}$/.test(offset ?? '') ? Number(offset) : offset });
}

/** Header names on a dead-lettered message. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dead-letter-reason',
  topic: 'x-source-topic',
  partition: 'x-source-partition',
  offset: 'x-source-offset',
} as const;

const JOIN_TIMEOUT_MS = 60_000;

/** Most bytes of message values in one produce request; below the broker's 1 MiB default limit. */
const MAX_REQUEST_BYTES = 768 * 1024;

export class DeadLetterError extends BusError<'DEAD_LETTERED'> {
  constructor(
    readonly topic: string,
    readonly offset: string,
    readonly reason: string,
  ) {
    super('DEAD_LETTERED', `${topic}@${offset}: ${reason}`);
  }
}

export class KafkaBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  /** Stops of the live subscriptions (drain in-flight batches, then disconnect). */
  private readonly stops = new Set<() => Promise<void>>();
  private readonly partitions: number;
  private readonly replicationFactor: number;
  private readonly prefix: string;
  private started = false;

  constructor(private readonly options: KafkaBusOptions) {
    if (options.brokers.length === 0) throw new RangeError('KafkaBus needs at least one broker');
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'voicepulse',
      brokers: [...options.brokers],
      logLevel: options.logLevel ?? logLevel.ERROR,
      retry: { initialRetryTime: 300, retries: 10 },
    });
    this.partitions = options.partitions ?? 6;
    this.replicationFactor = options.replicationFactor ?? 1;
    this.prefix = options.topicPrefix ?? '';
    // Idempotent: the broker drops a retried duplicate, so retries cannot duplicate events.
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Kafka topic name for a bus topic (after the prefix). */
  topic(name: string): string {
    return this.prefix + name;
  }

  /** Creates the topics (or adds partitions up to the configured count) and connects the producer. */
  async start(): Promise<void> {
    if (this.started) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const wanted = [...Object.values(TOPICS), DEAD_LETTER_TOPIC].map((t) => this.topic(t));
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: this.partitions,
            replicationFactor: this.replicationFactor,
          })),
        });
      }
      const present = wanted.filter((t) => existing.has(t));
      if (present.length > 0) {
        const { topics } = await admin.fetchTopicMetadata({ topics: present });
        const grow = topics
          .filter((t) => t.partitions.length < this.partitions)
          .map((t) => ({ topic: t.name, count: this.partitions }));
        if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow });
      }
    } finally {
      await admin.disconnect();
    }
    await this.producer.connect();
    this.started = true;
  }

  async publish(events: readonly VoicePulseEvent[], origins?: readonly EventOrigin[]): Promise<void> {
    // Validate all first: a bad event rejects the whole call before anything is sent.
    const parsed = events.map((e) => parseEvent(e));
    const checked = checkOrigins(parsed, origins);
    if (parsed.length === 0) return;
    await this.start();
    // Sent in requests of at most MAX_REQUEST_BYTES of values, one after another (so a call's
    // events keep their order): a request larger than the broker's message.max.bytes (1 MiB by
    // default) for one partition would be refused as a whole.
    let byTopic = new Map<string, Message[]>();
    let bytes = 0;
    const flush = async () => {
      if (byTopic.size === 0) return;
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      byTopic = new Map();
      bytes = 0;
      await this.producer.sendBatch({ acks: -1, topicMessages });
    };
    for (const [i, event] of parsed.entries()) {
      const topic = this.topic(TOPICS[event.type]);
      const value = JSON.stringify(event);
      if (bytes + value.length > MAX_REQUEST_BYTES) await flush();
      const messages = byTopic.get(topic) ?? [];
      byTopic.set(topic, messages);
      // No record headers but an origin: the type is the topic and the version is in the value, and
      // decoding two headers cost kafkajs twice as much as the rest of the record (347k vs 1.09M
      // records/s); live events, almost all of them, have no origin.
      const origin = checked?.[i];
      messages.push(
        origin
          ? {
              key: event.callId,
              value,
              headers: {
                [ORIGIN_HEADERS.source]: origin.source,
                [ORIGIN_HEADERS.offset]: String(origin.offset),
              },
            }
          : { key: event.callId, value },
      );
      bytes += value.length;
    }
    await flush();
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.start();
    const { groupId } = options;
    const pipeline: PartitionPipeline = { stopping: false, inFlight: new Map() };
    // A topic this bus created a moment ago can be missing from the metadata a while (transient.ts).
    let member = await retryTransient(() => this.joinGroup(options, pipeline), {
      deadlineMs: JOIN_TIMEOUT_MS,
      onRetry: (err) => this.options.onError?.(err, { groupId, topic: '*', partition: -1 }),
    });
    // kafkajs restarts a crashed consumer only after errors it deems retriable; a coordinator it
    // could not reach while the broker restarted is not one (kafkajs issues #1445, #1630), and the
    // member would then sit idle for good. Such a crash gets a new member, retried until it joins.
    let replacing: Promise<void> | undefined;
    const replace = async () => {
      const joined = await joinUntilStopped(() => this.joinGroup(options, pipeline), {
        stopped: () => pipeline.stopping,
        onError: (err) => this.options.onError?.(err, { groupId, topic: '*', partition: -1 }),
      });
      if (joined) {
        member = joined;
        watch(member);
      }
    };
    const watch = (consumer: Consumer) =>
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart || pipeline.stopping) return;
        this.options.onError?.(
          new BusError(
            'CONSUMER_CRASHED',
            `consumer group ${groupId} stopped on ${payload.error.message}; a new member joins`,
          ),
          { groupId, topic: '*', partition: -1 },
        );
        replacing = replace().finally(() => {
          replacing = undefined;
        });
      });
    watch(member);
    const stop = async () => {
      // Let in-flight batches finish (or give up at their next retry) before leaving the group.
      pipeline.stopping = true;
      await replacing;
      await Promise.all(pipeline.inFlight.values());
      await member.disconnect();
    };
    this.stops.add(stop);
    return {
      stop: async () => {
        this.stops.delete(stop);
        await stop();
      },
    };
  }

  /** A consumer of the subscription's topics that has joined its group and owns its partitions. */
  private async joinGroup(options: SubscribeOptions, pipeline: PartitionPipeline): Promise<Consumer> {
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      // A crashed member's partitions move to the others after this long (Kafka's minimum is 6 s).
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      // Short long-poll: lower produce→consume latency and a stop() that does not wait 5 s.
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 16 * 1024 * 1024,
      // Under the broker's fetch.max.bytes (55 MiB by default).
      maxBytes: 48 * 1024 * 1024,
      retry: { initialRetryTime: 300, retries: 20 },
      metadataMaxAge: this.options.metadataMaxAgeMs ?? 10_000,
    });
    const topics = [...new Set(options.types.map((t) => this.topic(TOPICS[t])))];
    return joinMember(consumer, {
      subscribe: { topics, fromBeginning: options.fromBeginning ?? false },
      run: {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 2,
        eachBatch: (payload) =>
          this.handleBatch(options.groupId, options.handler, payload, pipeline, (offset) =>
            consumer.seek({ topic: payload.batch.topic, partition: payload.batch.partition, offset }),
          ),
      },
      timeoutMs: JOIN_TIMEOUT_MS,
      timeoutError: () =>
        new BusError(
          'JOIN_TIMEOUT',
          `consumer group ${options.groupId} not joined within ${JOIN_TIMEOUT_MS} ms`,
        ),
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.stops].map((stop) => stop()));
    this.stops.clear();
    if (this.started) await this.producer.disconnect();
    this.started = false;
  }

  // Pipelined per partition: a batch is parsed while the previous one of its partition is still being
  // stored, then waits for that one (stored and committed) before its own store starts. So at most
  // one batch per partition is in flight, offsets are committed in order and only for stored
  // batches, and kafkajs fetches the next batch while ClickHouse works on this one.
  private async handleBatch(
    groupId: string,
    handler: BatchHandler,
    payload: EachBatchPayload,
    pipeline: PartitionPipeline,
    seek: (offset: string) => void,
  ): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    const events: VoicePulseEvent[] = [];
    const offsets: number[] = [];
    const origins: (EventOrigin | undefined)[] = [];
    const dead: { value: Buffer | null; key: Buffer | null; offset: string; reason: string }[] = [];
    for (const message of batch.messages) {
      try {
        const event = parseEvent(JSON.parse(message.value?.toString('utf8') ?? 'null'));
        origins.push(originOf(message.headers));
        events.push(event);
        offsets.push(Number(message.offset));
      } catch (err) {
        dead.push({
          value: message.value,
          key: message.key,
          offset: message.offset,
          reason: asError(err).message,
        });
      }
    }
    const key = `${topic}:${partition}`;
    const previousStored = (await pipeline.inFlight.get(key)) ?? true;
    // The previous batch gave up (stop, rebalance, seek): it rewound the partition; this one is redelivered.
    if (!previousStored || pipeline.stopping || !isRunning() || isStale()) return;
    if (dead.length > 0) {
      await this.producer.send({
        topic: this.topic(DEAD_LETTER_TOPIC),
        acks: -1,
        messages: dead.map((d) => ({
          key: d.key,
          value: d.value,
          headers: {
            [DEAD_LETTER_HEADERS.reason]: d.reason.slice(0, 1000),
            [DEAD_LETTER_HEADERS.topic]: topic,
            [DEAD_LETTER_HEADERS.partition]: String(partition),
            [DEAD_LETTER_HEADERS.offset]: d.offset,
          },
        })),
      });
      for (const d of dead) {
        this.options.onError?.(new DeadLetterError(topic, d.offset, d.reason), { groupId, topic, partition });
      }
    }
    const context = {
      topic: topic.slice(this.prefix.length),
      source: `${groupId}@${topic}#${partition}`,
      offsets,
      ...(origins.some((o) => o !== undefined) ? { origins } : {}),
    };
    const stored = this.storeAndCommit(groupId, handler, payload, pipeline, events, context, seek);
    pipeline.inFlight.set(key, stored);
    void stored.finally(() => {
      if (pipeline.inFlight.get(key) === stored) pipeline.inFlight.delete(key);
    });
    // Only the fetch position moves on here; the committed offset moves when `stored` resolves.
    payload.resolveOffset(batch.lastOffset());
  }

  /** Runs the handler until it resolves (back-off between tries), then commits; false if it gave up. */
  private async storeAndCommit(
    groupId: string,
    handler: BatchHandler,
    payload: EachBatchPayload,
    pipeline: PartitionPipeline,
    events: VoicePulseEvent[],
    context: BatchHandlerContext,
    seek: (offset: string) => void,
  ): Promise<boolean> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    let delay = this.options.retryDelayMs ?? 200;
    while (events.length > 0) {
      // Stop, rebalance or seek while retrying: leave the offset uncommitted and rewind the fetch
      // position to this batch, so it is redelivered (here or to the partition's next owner).
      if (pipeline.stopping || !isRunning() || isStale()) {
        if (isRunning() && !isStale()) seek(batch.firstOffset() ?? '0');
        return false;
      }
      try {
        await handler(events, context);
        break;
      } catch (err) {
        this.options.onError?.(asError(err), { groupId, topic, partition });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.options.maxRetryDelayMs ?? 5_000);
        await heartbeat().catch((e: unknown) =>
          this.options.onError?.(asError(e), { groupId, topic, partition }),
        );
      }
    }
    try {
      await payload.commitOffsetsIfNecessary({
        topics: [
          { topic, partitions: [{ partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] },
        ],
      });
    } catch (err) {
      // Stored but not committed (rebalance, broker gone): a later commit or a redelivery covers it;
      // redelivered rows collapse downstream.
      this.options.onError?.(asError(err), { groupId, topic, partition });
    }
    return true;
  }
}

/** Per subscription: the batch of each partition still being stored, and whether it is stopping. */
interface PartitionPipeline {
  stopping: boolean;
  inFlight: Map<string, Promise<boolean>>;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
