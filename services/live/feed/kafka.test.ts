// The feed on a real broker where the topics are new. CI saw `serve` exit on kafkajs's
// UNKNOWN_TOPIC_OR_PARTITION: serve and the sink started together on a fresh topic prefix, and the
// feed subscribed while the other process's createTopics was still in flight. Reproducing it showed
// a second fault: a feed that had started still skipped what was published next (its latest offset
// was fixed only at its first fetch, and again at each rebalance of its own group).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { TOPICS } from '../../../core/bus/bus.ts';
import { KafkaBus } from '../../../core/bus/kafka.ts';
import { waitUntil } from '../../../core/bus/testing/contract.ts';
import { syntheticCall } from '../../../core/bus/testing/synthetic.ts';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { describeWithService } from '../../../test/testing/services.ts';
import { kafkaFeedSource } from './kafka.ts';

/** The score events of a short synthetic call. */
const callScores = (callId: string) =>
  syntheticCall({
    tenantId: 't',
    callId,
    agentId: 'a',
    queue: 'q',
    startedAtMs: 1_714_000_000_000,
    durationMs: 3_000,
  }).scores;

await describeWithService('kafka', 'cluster feed on Kafka, topics being created', ({ brokers }) => {
  const prefixes: string[] = [];
  afterAll(async () => {
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
  });

  it('starts after, or while, another process creates the event topics, and delivers what is published from then on', async () => {
    for (let round = 0; round < 6; round++) {
      const prefix = `vp-feed-new-${randomUUID().slice(0, 8)}.`;
      prefixes.push(prefix);
      const creator = new KafkaBus({
        brokers,
        topicPrefix: prefix,
        partitions: 6,
        logLevel: logLevel.NOTHING,
      });
      const errors: Error[] = [];
      const feed = kafkaFeedSource({
        brokers,
        topicPrefix: prefix,
        podId: `pod-${round}`,
        onError: (e) => errors.push(e),
      });
      const received: VoicePulseEvent[] = [];
      try {
        const startFeed = () =>
          feed.start({ events: (events) => received.push(...events), heartbeat: () => {} });
        // Every other round the topics exist, and the call is published the moment the feed has started.
        if (round % 2 === 0) await creator.start().then(startFeed);
        else await Promise.all([creator.start(), startFeed()]);
        const callId = `${prefix}call`;
        const scores = callScores(callId);
        await creator.publish(scores);
        await waitUntil(
          () => received.filter((e) => e.callId === callId).length === scores.length,
          'the call on the feed',
        );
        // Waiting out a topic the metadata did not hold yet is reported, never fatal.
        for (const e of errors) expect(e.message).toMatch(/topic-partition|leader/i);
      } finally {
        await feed.stop();
        await creator.close();
      }
    }
  }, 120_000);
  // KafkaBus.start grows existing topics to its partition count: a pod started with more partitions
  // adds some while the other pods' feeds run. Their feeds must read the new partitions, from their
  // start, and lose nothing on the old ones while their group rebalances onto them.
  it('reads partitions added after it started, from their first event, and skips nothing meanwhile', async () => {
    const prefix = `vp-feed-grow-${randomUUID().slice(0, 8)}.`;
    prefixes.push(prefix);
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const small = new KafkaBus({ brokers, topicPrefix: prefix, partitions: 1, logLevel: logLevel.NOTHING });
    await small.start();
    const received: VoicePulseEvent[] = [];
    const feed = kafkaFeedSource({
      brokers,
      topicPrefix: prefix,
      podId: 'grow',
      onError: () => {},
      metadataMaxAgeMs: 500,
    });
    await feed.start({ events: (events) => received.push(...events), heartbeat: () => {} });
    const producer = kafka.producer();
    await producer.connect();
    const scoreTopic = prefix + TOPICS.score;
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Events on every partition, written straight to it: partition 0 before, during and after the
      // rebalance, the new partitions as soon as they exist.
      const before = callScores(`${prefix}before`);
      await producer.send({
        topic: scoreTopic,
        messages: before.map((e) => ({ partition: 0, value: JSON.stringify(e) })),
      });
      await admin.createPartitions({ topicPartitions: [{ topic: scoreTopic, count: 3 }] });
      // A kafkajs producer drops messages for a partition its metadata does not hold yet: the new
      // partitions are written by a producer that connects once the broker's metadata has them.
      const partitions = async () =>
        (await admin.fetchTopicMetadata({ topics: [scoreTopic] }).catch(() => undefined))?.topics[0]
          ?.partitions.length;
      for (let i = 0; i < 100 && (await partitions()) !== 3; i++)
        await new Promise((r) => setTimeout(r, 100));
      const grown = kafka.producer();
      await grown.connect();
      const sent = [...before];
      for (const partition of [2, 1, 0]) {
        const events = callScores(`${prefix}p${partition}`);
        await grown.send({
          topic: scoreTopic,
          messages: events.map((e) => ({ partition, value: JSON.stringify(e) })),
        });
        sent.push(...events);
      }
      await grown.disconnect();
      await waitUntil(() => received.length >= sent.length, 'every event, on old and new partitions');
      expect(received.map((e) => e.eventId).sort()).toEqual(sent.map((e) => e.eventId).sort());
    } finally {
      await admin.disconnect();
      await producer.disconnect();
      await feed.stop();
      await small.close();
    }
  }, 60_000);
});
