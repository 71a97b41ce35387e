import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../testing/services.ts';

const RECEIVE_TIMEOUT_MS = 30_000;

await describeWithService('kafka', 'Kafka smoke (real broker)', ({ brokers }) => {
  // ERROR level keeps kafkajs's transient "group coordinator not available" retries visible but brief.
  const kafka = new Kafka({ clientId: 'voicepulse-infra-smoke', brokers, logLevel: logLevel.ERROR });
  const run = randomUUID().slice(0, 8);
  const topics: string[] = [];
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    const existing = new Set(await admin.listTopics());
    const ours = topics.filter((t) => existing.has(t));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
  });

  it('creates a topic, produces one message and consumes it back', async () => {
    const topic = `vp-infra-smoke-${run}`;
    topics.push(topic);
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(
      true,
    );
    expect(await admin.listTopics()).toContain(topic);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const [sent] = await producer.send({
      topic,
      messages: [{ key: 'call-1', value: JSON.stringify({ angry: 0.8 }), headers: { v: '1' } }],
    });
    await producer.disconnect();
    expect(sent?.errorCode).toBe(0);

    const consumer = kafka.consumer({ groupId: `vp-infra-smoke-${run}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<{ key: string; value: string; header: string }>(
        (resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no message on ${topic} within ${RECEIVE_TIMEOUT_MS} ms`)),
            RECEIVE_TIMEOUT_MS,
          );
          void consumer.run({
            eachMessage: async ({ message }) => {
              clearTimeout(timer);
              resolve({
                key: message.key?.toString() ?? '',
                value: message.value?.toString() ?? '',
                header: message.headers?.v?.toString() ?? '',
              });
            },
          });
        },
      );
      expect(received).toEqual({ key: 'call-1', value: '{"angry":0.8}', header: '1' });
    } finally {
      await consumer.disconnect();
    }
  });

  it('auto-creates a topic on first produce', async () => {
    const topic = `vp-infra-auto-${run}`;
    topics.push(topic);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const [sent] = await producer.send({ topic, messages: [{ value: 'x' }] });
      expect(sent?.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => o.high)).toEqual(['1']);
  });
});
