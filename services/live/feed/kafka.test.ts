// The feed on a real broker where the topics are new. CI saw `serve` exit on kafkajs's
// UNKNOWN_TOPIC_OR_PARTITION: serve and the sink started together on a fresh topic prefix, and the
// feed subscribed while the other process's createTopics was still in flight. Reproducing it showed
// a second fault: a feed that had started still skipped what was published next (its latest offset
// was fixed only at its first fetch, and again at each rebalance of its own group).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { KafkaBus } from '../../../core/bus/kafka.ts';
import { waitUntil } from '../../../core/bus/testing/contract.ts';
import { syntheticCall } from '../../../core/bus/testing/synthetic.ts';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { describeWithService } from '../../../test/testing/services.ts';
import { kafkaFeedSource } from './kafka.ts';

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
        const { scores } = syntheticCall({
          tenantId: 't',
          callId,
          agentId: 'a',
          queue: 'q',
          startedAtMs: 1_714_000_000_000,
          durationMs: 3_000,
        });
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
});
