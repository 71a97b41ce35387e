// The cluster feed on Kafka: one consumer per pod over the event topics and the presence topic, in a
// consumer group of its own (every pod reads every partition), committing nothing (a restarted pod
// wants what happens now, not what it missed): it reads the event topics from where they ended when it
// started, and a rejoin resumes where it had read. A producer sends the pod's heartbeats. Joining waits
// out a cluster that does not know its topics yet (core/bus/transient.ts), and a consumer that crashed
// for good is replaced. Messages are validated here, at the boundary; one that is not a valid event or
// heartbeat is skipped and reported (the sink dead-letters bad events).
// Not KafkaBus.subscribe: that one commits after its handler for the sink's exactly-once, which a
// feed has no use for, and it reads events only.
import { randomBytes } from 'node:crypto';
import { type Consumer, type EachBatchPayload, Kafka, logLevel, type Producer } from 'kafkajs';
import { BusError, TOPICS } from '../../../core/bus/bus.ts';
import { joinMember, joinUntilStopped } from '../../../core/bus/member.ts';
import { retryTransient } from '../../../core/bus/transient.ts';
import { parseEvent, type VoicePulseEvent } from '../../../core/events/schema.ts';
import { heartbeatSchema } from './presence.ts';
import type { FeedHandlers, FeedSource } from './source.ts';

/** The presence topic (after the topic prefix): heartbeats, one partition, short retention. */
export const PRESENCE_TOPIC = 'voicepulse.presence';
const PRESENCE_RETENTION_MS = 10 * 60_000;
const JOIN_TIMEOUT_MS = 60_000;
/** kafkajs's seek to a partition's first retained offset. */
const EARLIEST = '-2';

export interface KafkaFeedOptions {
  brokers: readonly string[];
  /** Topic prefix of the bus (VOICEPULSE_KAFKA_TOPIC_PREFIX). */
  topicPrefix?: string | undefined;
  /** Replication factor for the presence topic if this pod creates it. */
  replicationFactor?: number | undefined;
  podId: string;
  /** A message skipped as invalid, a failed consumer. */
  onError: (err: Error) => void;
  /**
   * How often the feed refreshes topic metadata: partitions added since (a pod started with a larger
   * partition count grows the topics) are read within about this long. kafkajs's own default is 5 minutes.
   * @default 10_000
   */
  metadataMaxAgeMs?: number | undefined;
}

export function kafkaFeedSource(o: KafkaFeedOptions): FeedSource {
  const prefix = o.topicPrefix ?? '';
  const presence = prefix + PRESENCE_TOPIC;
  const eventTopics = new Set(Object.values(TOPICS).map((t) => prefix + t));
  const kafka = new Kafka({
    clientId: `voicepulse-feed-${o.podId}`,
    brokers: [...o.brokers],
    logLevel: logLevel.ERROR,
    retry: { initialRetryTime: 300, retries: 10 },
  });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  // A group of its own per process start: it never shares partitions, and never resumes old offsets.
  const groupId = `voicepulse-feed-${o.podId}-${randomBytes(4).toString('hex')}`;
  const topics = [...eventTopics, presence];
  let consumer: Consumer | undefined;
  let handlers: FeedHandlers | undefined;
  let stopping = false;
  /**
   * Where the feed reads the event topics next, by `topic:partition`: each partition's end when the
   * feed started, then past every batch it read. Every join seeks there (a rebalance of its own group,
   * a member that replaced a crashed one): with nothing committed, kafkajs would start again at the
   * latest offset and skip what was published in between. A partition without a position was added
   * after the start, so all of it is new: it is read from its beginning. So a started feed delivers
   * every event published since. Not heartbeats: a pod's presence is its latest beat (presence.ts counts a beat
   * as seen when it arrives, so a replayed old one would renew a dead pod's lease).
   */
  const positions = new Map<string, string>();

  /** Creates the presence topic if missing and notes where every event topic ends now. */
  const prepare = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(presence))
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: presence,
              numPartitions: 1,
              replicationFactor: o.replicationFactor ?? 1,
              configEntries: [{ name: 'retention.ms', value: String(PRESENCE_RETENTION_MS) }],
            },
          ],
        });
      for (const topic of eventTopics) {
        const ends = await admin.fetchTopicOffsets(topic);
        if (ends.length === 0) throw new BusError('TOPIC_NOT_READY', `topic ${topic} has no partitions yet`);
        for (const p of ends)
          if (!positions.has(`${topic}:${p.partition}`)) positions.set(`${topic}:${p.partition}`, p.high);
      }
    } finally {
      await admin.disconnect();
    }
  };

  const onBatch = async ({ batch }: EachBatchPayload) => {
    if (batch.topic === presence) {
      for (const m of batch.messages) {
        const beat = heartbeatSchema.safeParse(parseJson(m.value));
        if (beat.success) handlers?.heartbeat(beat.data);
        else o.onError(new Error(`invalid heartbeat at offset ${m.offset}: ${beat.error.message}`));
      }
      return;
    }
    const last = batch.messages.at(-1);
    if (last) positions.set(`${batch.topic}:${batch.partition}`, String(Number(last.offset) + 1));
    const events: VoicePulseEvent[] = [];
    for (const m of batch.messages) {
      try {
        events.push(parseEvent(parseJson(m.value)));
      } catch (err) {
        o.onError(err as Error);
      }
    }
    if (events.length > 0) handlers?.events(events);
  };

  /** A consumer that has joined the feed's group over every feed topic; a failed one is disconnected. */
  const join = async (): Promise<Consumer> => {
    const c = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      // Short long-poll: a watcher sees a score as soon as the broker has it.
      maxWaitTimeInMs: 100,
      metadataMaxAge: o.metadataMaxAgeMs ?? 10_000,
      retry: { initialRetryTime: 300, retries: 20 },
    });
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment))
        if (eventTopics.has(topic))
          for (const partition of partitions)
            c.seek({ topic, partition, offset: positions.get(`${topic}:${partition}`) ?? EARLIEST });
    });
    await joinMember(c, {
      subscribe: { topics, fromBeginning: false },
      run: { autoCommit: false, partitionsConsumedConcurrently: 4, eachBatch: onBatch },
      timeoutMs: JOIN_TIMEOUT_MS,
      timeoutError: () => new Error(`feed consumer did not join within ${JOIN_TIMEOUT_MS} ms`),
      // Its own group: it must own every partition of every feed topic.
      soleMember: true,
    });
    // kafkajs does not restart a consumer after an error it deems final (as KafkaBus.subscribe):
    // the feed would go silent for good, so a new member joins.
    c.on(c.events.CRASH, ({ payload }) => {
      if (payload.restart || stopping || consumer !== c) return;
      o.onError(new Error(`feed consumer stopped on ${payload.error.message}; a new member joins`));
      void rejoin(c);
    });
    return c;
  };
  const joinRetrying = () =>
    retryTransient(join, { deadlineMs: JOIN_TIMEOUT_MS, onRetry: (err) => o.onError(err) });
  const rejoin = async (crashed: Consumer) => {
    await crashed.disconnect().catch(() => {});
    const c = await joinUntilStopped(joinRetrying, { stopped: () => stopping, onError: o.onError });
    if (c && stopping) await c.disconnect();
    else if (c) consumer = c;
  };

  return {
    async start(h) {
      handlers = h;
      stopping = false;
      await retryTransient(prepare, { deadlineMs: JOIN_TIMEOUT_MS, onRetry: (err) => o.onError(err) });
      await producer.connect();
      consumer = await joinRetrying();
    },
    async heartbeat(beat) {
      await producer.send({
        topic: presence,
        acks: 1,
        messages: [{ key: beat.podId, value: JSON.stringify(beat) }],
      });
    },
    async stop() {
      handlers = undefined;
      stopping = true;
      await consumer?.disconnect();
      await producer.disconnect();
    },
  };
}

function parseJson(value: Buffer | null): unknown {
  try {
    return JSON.parse(value?.toString('utf8') ?? 'null');
  } catch {
    return null;
  }
}
