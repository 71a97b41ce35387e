import { randomUUID } from 'node:crypto';
import { logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../core/bus/kafka.ts';
import { migrate } from '../../../core/clickhouse/migrations.ts';
import { busRecordingStore } from '../../../core/recordings/store.ts';
import { callWav, syntheticCall } from '../../../core/recordings/testing/audio.ts';
import { embeddedClickHouse, type OpenedClickHouse } from '../../../test/testing/clickhouse.ts';
import { requireService } from '../../../test/testing/services.ts';
import { startSink } from '../../sink/sink.ts';
import { processRecording } from './batch.ts';
import { energyPool } from './testing/pool.ts';

// `analyze --kafka`: the events go through Kafka, the sink stores them, and a second run finds the
// call in ClickHouse and publishes nothing.
const kafka = await requireService('kafka');
describe.skipIf(!kafka)('recordings through Kafka and the sink', () => {
  let opened: OpenedClickHouse;
  let bus: KafkaBus;
  let stopSink: (() => Promise<void>) | undefined;
  const pool = energyPool();
  afterAll(async () => {
    await stopSink?.();
    await bus?.close();
    await pool.close();
    await opened?.cleanup();
  });

  it('publishes a recording once; the sink stores it with its original time', async () => {
    opened = await embeddedClickHouse('vp-rec-bus')();
    await migrate(opened.ch);
    bus = new KafkaBus({
      brokers: kafka!.brokers,
      topicPrefix: `rec-${randomUUID().slice(0, 8)}.`,
      partitions: 2,
      logLevel: logLevel.NOTHING,
    });
    await bus.start();
    const sink = await startSink({ bus, clickhouse: opened.ch, groupId: `g-${randomUUID()}` });
    stopSink = () => sink.stop();
    const store = busRecordingStore(bus, opened.ch);
    const startedAtMs = Date.parse('2024-03-05T09:00:00Z');
    const input = {
      file: 'k.wav',
      bytes: callWav(syntheticCall(30, { seed: 6 })),
      given: { callId: 'k-1', tenantId: 'acme', startedAtMs },
      modifiedAtMs: 0,
    };
    const ctx = { pool, store, policies: {}, roles: {} };
    expect((await processRecording(input, ctx)).status).toBe('analysed');
    const count = async () =>
      Number((await opened.ch.query<{ n: string }>('SELECT count() AS n FROM scores'))[0]?.n);
    const deadline = Date.now() + 60_000;
    let summaries: { started_at_ms: string }[] = [];
    while (summaries.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      summaries = await opened.ch.query('SELECT started_at_ms FROM call_summaries');
    }
    expect(summaries.map((r) => Number(r.started_at_ms))).toEqual([startedAtMs]);
    const scores = await count();
    expect(scores).toBeGreaterThan(5);
    expect(await processRecording(input, ctx)).toMatchObject({ status: 'skipped' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await count()).toBe(scores);
  });
});
