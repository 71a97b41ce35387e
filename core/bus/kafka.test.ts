import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { describeWithService } from '../../test/testing/services.ts';
import { DEAD_LETTER_TOPIC, TOPICS } from './bus.ts';
import { DEAD_LETTER_HEADERS, KafkaBus, ORIGIN_HEADERS } from './kafka.ts';
import { busContract, eventually, waitUntil } from './testing/contract.ts';
import { syntheticCall } from './testing/synthetic.ts';

await describeWithService('kafka', 'KafkaBus (real broker)', ({ brokers }) => {
  const prefix = `vp-bus-${randomUUID().slice(0, 8)}.`;
  const kafka = new Kafka({ clientId: 'vp-bus-test', brokers, logLevel: logLevel.NOTHING });
  const make = () =>
    new KafkaBus({
      brokers,
      topicPrefix: prefix,
      partitions: 4,
      retryDelayMs: 50,
      logLevel: logLevel.NOTHING,
    });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
  });

  busContract(async () => {
    const bus = make();
    await bus.start();
    return bus;
  });

  it('creates every topic with the configured partitions, and grows existing ones', async () => {
    const bus = new KafkaBus({ brokers, topicPrefix: prefix, partitions: 5 });
    await bus.start();
    await bus.close();
    const admin = kafka.admin();
    await admin.connect();
    const names = [...Object.values(TOPICS), DEAD_LETTER_TOPIC].map((t) => prefix + t);
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    await admin.disconnect();
    expect(topics.map((t) => t.partitions.length)).toEqual(names.map(() => 5));
  });

  it('publishes one call larger than the broker accepts in one request (1 MiB)', async () => {
    const bus = make();
    await bus.start();
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const { scores } = syntheticCall({
      tenantId: tenant,
      callId: `${tenant}-long`,
      agentId: 'a',
      queue: 'q',
      startedAtMs: 1_714_000_000_000,
      durationMs: 4_000_000,
    });
    expect(JSON.stringify(scores).length).toBeGreaterThan(1_600_000);
    const received: number[] = [];
    const sub = await bus.subscribe({
      groupId: `${tenant}-g`,
      types: ['score'],
      fromBeginning: true,
      handler: async (events) => {
        for (const e of events)
          if (e.tenantId === tenant && e.type === 'score' && e.speaker === 'customer')
            received.push(e.windowStartMs);
      },
    });
    await bus.publish(scores);
    await waitUntil(() => received.length === scores.length / 2, 'the whole call');
    expect(received).toEqual([...received].sort((a, b) => a - b));
    await sub.stop();
    await bus.close();
  });

  it('keys messages by call id, the schema version in the value and no headers, and dead-letters what is not an event or has a malformed origin', async () => {
    const bus = make();
    await bus.start();
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const received: string[] = [];
    const sub = await bus.subscribe({
      groupId: `${tenant}-sink`,
      types: ['call_summary'],
      fromBeginning: true,
      handler: async (events) => {
        received.push(...events.filter((e) => e.tenantId === tenant).map((e) => e.eventId));
      },
    });
    const call = (i: number) =>
      syntheticCall({
        tenantId: tenant,
        callId: `${tenant}-c${i}`,
        agentId: 'a',
        queue: 'q',
        startedAtMs: 1_714_000_000_000,
        durationMs: 10_000,
      }).summary;
    await bus.publish([call(1)]);
    // Bytes that bypass the producer's validation: not JSON, a future schema version, and an event
    // whose origin has no valid offset.
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic: prefix + TOPICS.call_summary,
      messages: [
        { key: 'x', value: '{not json' },
        { key: 'y', value: JSON.stringify({ ...call(2), schemaVersion: 99 }) },
        {
          key: 'z',
          value: JSON.stringify(call(4)),
          headers: { [ORIGIN_HEADERS.source]: 'recording:z', [ORIGIN_HEADERS.offset]: '-1' },
        },
      ],
    });
    await raw.disconnect();
    await bus.publish([call(3)]);
    await waitUntil(() => received.length === 2, 'the valid summaries around the poison');
    // Keyed by call id, the two calls may lie on different partitions: Kafka orders each partition, not both.
    expect([...received].sort()).toEqual([`${tenant}-c1:summary`, `${tenant}-c3:summary`]);
    await sub.stop();
    await bus.close();

    const dead: { key: string; reason: string; source: string }[] = [];
    const summaries: { key: string; headers: number; value: string }[] = [];
    const consumer = kafka.consumer({ groupId: `${tenant}-inspect` });
    await consumer.connect();
    await consumer.subscribe({
      topics: [prefix + DEAD_LETTER_TOPIC, prefix + TOPICS.call_summary],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const key = message.key?.toString() ?? '';
        if (topic === prefix + DEAD_LETTER_TOPIC) {
          dead.push({
            key,
            reason: message.headers?.[DEAD_LETTER_HEADERS.reason]?.toString() ?? '',
            source: message.headers?.[DEAD_LETTER_HEADERS.topic]?.toString() ?? '',
          });
        } else if (key.startsWith(tenant)) {
          summaries.push({
            key,
            headers: Object.keys(message.headers ?? {}).length,
            value: message.value?.toString() ?? '',
          });
        }
      },
    });
    await waitUntil(() => dead.length >= 3 && summaries.length === 2, 'dead letters and keyed summaries');
    await consumer.disconnect();
    expect(dead.map((d) => d.key).sort()).toEqual(['x', 'y', 'z']);
    expect(dead.every((d) => d.source === prefix + TOPICS.call_summary)).toBe(true);
    expect(dead.find((d) => d.key === 'x')?.reason).toMatch(/JSON/);
    expect(dead.find((d) => d.key === 'y')?.reason).toMatch(/schemaVersion/);
    expect(dead.find((d) => d.key === 'z')?.reason).toMatch(/^BAD_ORIGIN: /);
    // Sorted: the two calls sit in different partitions, which a consumer reads in no fixed order.
    const byKey = [...summaries].sort((a, b) => a.key.localeCompare(b.key));
    expect(byKey.map((s) => [s.key, s.headers, JSON.parse(s.value).schemaVersion])).toEqual([
      [`${tenant}-c1`, 0, 1],
      [`${tenant}-c3`, 0, 1],
    ]);
  });

  it('holds back later batches and every commit while a batch fails; a stop then resumes from that batch', async () => {
    // Own topics with one partition and small fetches: one call arrives as many batches in a row.
    const single = `${prefix}single.`;
    const makeSingle = () =>
      new KafkaBus({
        brokers,
        topicPrefix: single,
        partitions: 1,
        retryDelayMs: 50,
        maxRetryDelayMs: 50,
        maxBytesPerPartition: 4 * 1024,
        logLevel: logLevel.NOTHING,
      });
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const groupId = `${tenant}-g`;
    const { scores } = syntheticCall({
      tenantId: tenant,
      callId: `${tenant}-c`,
      agentId: 'a',
      queue: 'q',
      startedAtMs: 1_714_000_000_000,
      durationMs: 80_000,
    });
    const ids = scores.map((s) => s.eventId);
    const bus1 = makeSingle();
    await bus1.publish(scores);
    const received: string[] = [];
    let failures = 0;
    const sub1 = await bus1.subscribe({
      groupId,
      types: ['score'],
      fromBeginning: true,
      handler: async (events) => {
        if (events.some((e) => e.eventId === ids[0])) {
          failures++;
          throw new Error('ClickHouse down');
        }
        received.push(...events.map((e) => e.eventId));
      },
    });
    await waitUntil(() => failures >= 5, 'retries of the first batch');
    const admin = kafka.admin();
    await admin.connect();
    const committed = async () => {
      const [topic] = await admin.fetchOffsets({ groupId, topics: [single + TOPICS.score] });
      return topic?.partitions[0]?.offset;
    };
    // Later batches were fetched meanwhile, but none was handled and nothing was committed.
    expect(received).toEqual([]);
    expect(await committed()).toBe('-1');
    await sub1.stop();
    await bus1.close();

    const bus2 = makeSingle();
    const sub2 = await bus2.subscribe({
      groupId,
      types: ['score'],
      fromBeginning: true,
      handler: async (events) => {
        received.push(...events.map((e) => e.eventId));
      },
    });
    await waitUntil(() => received.length >= ids.length, 'the whole call after the restart');
    expect(await eventually(committed, (o) => o === String(ids.length))).toBe(String(ids.length));
    await sub2.stop();
    await bus2.close();
    await admin.disconnect();
    // Every event once, in order: the failed batch was redelivered first, nothing after it skipped.
    expect(received).toEqual(ids);
  });
  // A pod started with a larger partition count grows the topics (start() above): the running sinks'
  // groups must take the new partitions soon, not at kafkajs's next metadata refresh (5 minutes).
  it('a subscription takes partitions added while it runs, from their first event', async () => {
    const fresh = `vp-grow-${randomUUID().slice(0, 8)}.`;
    const small = new KafkaBus({
      brokers,
      topicPrefix: fresh,
      partitions: 1,
      logLevel: logLevel.NOTHING,
      metadataMaxAgeMs: 500,
    });
    const admin = kafka.admin();
    await admin.connect();
    const received: string[] = [];
    const sub = await small.subscribe({
      groupId: `${fresh}g`,
      types: ['score'],
      fromBeginning: true,
      handler: async (events) => {
        for (const e of events) received.push(e.eventId);
      },
    });
    try {
      const topic = fresh + TOPICS.score;
      await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
      // A kafkajs producer drops messages for a partition its metadata does not hold yet: connect
      // one once the broker's metadata has the new partitions.
      const partitions = async () =>
        (await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined))?.topics[0]?.partitions
          .length;
      for (let i = 0; i < 100 && (await partitions()) !== 3; i++)
        await new Promise((r) => setTimeout(r, 100));
      const producer = kafka.producer();
      await producer.connect();
      const sent: string[] = [];
      for (const partition of [1, 2]) {
        const { scores } = syntheticCall({
          tenantId: 't',
          callId: `${fresh}p${partition}`,
          agentId: 'a',
          queue: 'q',
          startedAtMs: 1_714_000_000_000,
          durationMs: 3_000,
        });
        await producer.send({
          topic,
          messages: scores.map((e) => ({ partition, value: JSON.stringify(e) })),
        });
        sent.push(...scores.map((e) => e.eventId));
      }
      await producer.disconnect();
      await waitUntil(() => received.length >= sent.length, 'the events of the new partitions', 20_000);
      expect(received.sort()).toEqual(sent.sort());
    } finally {
      await sub.stop();
      await small.close();
      const ours = (await admin.listTopics()).filter((t) => t.startsWith(fresh));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours });
      await admin.disconnect();
    }
  }, 60_000);
});
