import { randomUUID } from 'node:crypto';
import { logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../core/bus/kafka.ts';
import { migrate } from '../../../core/clickhouse/migrations.ts';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { busRecordingStore, type RecordingStore } from '../../../core/recordings/store.ts';
import { callWav, syntheticCall } from '../../../core/recordings/testing/audio.ts';
import { tenantPolicySchema } from '../../../core/tenancy/policy.ts';
import {
  embeddedClickHouse,
  type OpenedClickHouse,
  serverClickHouse,
} from '../../../test/testing/clickhouse.ts';
import { requireService } from '../../../test/testing/services.ts';
import { startSink } from '../../sink/sink.ts';
import { processRecording, type RecordingContext } from './batch.ts';
import { energyPool } from './testing/pool.ts';

// `analyze --kafka` and uploads on a Kafka-backed serve: the events go through Kafka and the sink
// stores them. However often a recording's events are published (a second run that checked
// ClickHouse before the sink had stored the first, a run that died half-way and ran again), the
// sink stores each once: raw rows and minute aggregates equal those of a single analysis.
const STARTED = Date.parse('2024-03-05T09:00:00Z');
const agentScoring = tenantPolicySchema.parse({ agentEmotionScoring: true });
const TENANTS = ['reference', 'again', 'raced', 'resumed'] as const;
const policies = Object.fromEntries(TENANTS.map((t) => [t, agentScoring]));
const wav = callWav(syntheticCall(90, { seed: 6 }));
const input = (tenantId: (typeof TENANTS)[number]) => ({
  file: 'k.wav',
  bytes: wav,
  given: { callId: 'k-1', tenantId, agentId: 'a-1', queue: 'billing', startedAtMs: STARTED },
  modifiedAtMs: 0,
});

/** What one stored call adds up to, raw and in each minute aggregate. */
async function counts(ch: OpenedClickHouse['ch'], tenant: string) {
  const n = async (sql: string) =>
    Number((await ch.query<{ n: string }>(`${sql} WHERE tenant_id = {t:String}`, { t: tenant }))[0]?.n);
  return {
    scores: await n('SELECT count() AS n FROM scores'),
    alerts: await n('SELECT count() AS n FROM alerts'),
    summaries: await n('SELECT count() AS n FROM call_summaries'),
    windows: await n('SELECT countMerge(windows) AS n FROM score_minutes'),
    frustration: await n('SELECT round(avgMerge(frustration_mean), 6) AS n FROM score_minutes'),
    talk: await n('SELECT sumMerge(talk_ms_sum) AS n FROM call_minutes'),
    duration: await n('SELECT sumMerge(duration_ms_sum) AS n FROM call_minutes'),
    alertMinutes: await n('SELECT uniqMerge(alerts) AS n FROM alert_minutes'),
  };
}

const kafka = await requireService('kafka');
const targets: [string, (() => Promise<OpenedClickHouse>) | undefined][] = [
  ['ClickHouse 18.16', await serverClickHouse('vp_rec_bus')],
  ['chdb', embeddedClickHouse('vp-rec-bus')],
];
for (const [name, open] of targets) {
  describe.skipIf(!kafka || !open)(`recordings through Kafka and the sink into ${name}`, () => {
    let opened: OpenedClickHouse | undefined;
    let bus: KafkaBus | undefined;
    let stopSink: (() => Promise<void>) | undefined;
    const pool = energyPool();
    /** Events of each tenant the sink has handled (stored or skipped as stored before). */
    const handled = new Map<string, number>();
    afterAll(async () => {
      await stopSink?.();
      await bus?.close();
      await pool.close();
      await opened?.cleanup();
    });
    const setup = async () => {
      if (!opened) {
        opened = await open!();
        await migrate(opened.ch);
        bus = new KafkaBus({
          brokers: kafka!.brokers,
          topicPrefix: `rec-${randomUUID().slice(0, 8)}.`,
          partitions: 2,
          logLevel: logLevel.NOTHING,
        });
        await bus.start();
        const count = (events: readonly VoicePulseEvent[]) => {
          for (const e of events) handled.set(e.tenantId, (handled.get(e.tenantId) ?? 0) + 1);
        };
        const sink = await startSink({
          bus,
          clickhouse: opened.ch,
          groupId: `g-${randomUUID()}`,
          onStored: count,
          onSkipped: count,
        });
        stopSink = () => sink.stop();
      }
      const ctx: RecordingContext = {
        pool,
        store: busRecordingStore(bus!, opened.ch),
        policies,
        roles: {},
      };
      return { ch: opened.ch, ctx };
    };
    /** Waits until the sink has handled `events` events of `tenant`. */
    const handledAll = async (tenant: string, events: number) => {
      const deadline = Date.now() + 60_000;
      while ((handled.get(tenant) ?? 0) < events) {
        if (Date.now() > deadline)
          throw new Error(`sink handled ${handled.get(tenant) ?? 0} of ${events} events of ${tenant}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    /** Publishes and stores the recording once under `tenant`: the counts of a single analysis. */
    let single: Promise<{ events: number; counts: Awaited<ReturnType<typeof counts>> }> | undefined;
    const reference = () => {
      single ??= setup().then(async ({ ch, ctx }) => {
        let events = 0;
        const store: RecordingStore = {
          ...ctx.store,
          store: (key, es) => {
            events = es.length;
            return ctx.store.store(key, es);
          },
        };
        expect((await processRecording(input('reference'), { ...ctx, store })).status).toBe('analysed');
        await handledAll('reference', events);
        return { events, counts: await counts(ch, 'reference') };
      });
      return single;
    };

    it('stores a recording with its original time, and skips it when analysed again', async () => {
      const { ch, ctx } = await setup();
      const { events, counts: once } = await reference();
      expect(once.summaries).toBe(1);
      expect(once.scores).toBeGreaterThan(50);
      expect(once.windows).toBe(once.scores);
      const [summary] = await ch.query<{ started_at_ms: string }>(
        "SELECT started_at_ms FROM call_summaries WHERE tenant_id = 'reference'",
      );
      expect(Number(summary?.started_at_ms)).toBe(STARTED);
      expect(await processRecording(input('reference'), ctx)).toMatchObject({ status: 'skipped' });
      // Nothing was published: a later recording's events are the next the sink sees of this tenant.
      await processRecording(input('again'), ctx);
      await handledAll('again', events);
      expect(handled.get('reference')).toBe(events);
      expect(await counts(ch, 'reference')).toEqual(once);
    });

    it('counts a recording once when two runs publish it before the sink has stored either', async () => {
      const { ch, ctx } = await setup();
      const { events, counts: once } = await reference();
      // Both runs find nothing stored yet and publish everything.
      const reports = await Promise.all([
        processRecording(input('raced'), ctx),
        processRecording(input('raced'), ctx),
      ]);
      expect(reports.map((r) => r.status)).toEqual(['analysed', 'analysed']);
      await handledAll('raced', 2 * events);
      expect(await counts(ch, 'raced')).toEqual(once);
    });

    it('counts a recording once when a run that died half-way through publishing runs again', async () => {
      const { ch, ctx } = await setup();
      const { events, counts: once } = await reference();
      // The first run published its first 40 scores and died.
      let published = 0;
      const dying: RecordingContext = {
        ...ctx,
        store: {
          ...ctx.store,
          async store(key, es) {
            const prefix = es.filter((e) => e.type === 'score').slice(0, 40);
            published = prefix.length;
            await ctx.store.store(key, prefix);
            throw new Error('killed');
          },
        },
      };
      expect((await processRecording(input('resumed'), dying)).status).toBe('failed');
      await handledAll('resumed', published);
      expect((await counts(ch, 'resumed')).scores).toBe(40);
      expect((await processRecording(input('resumed'), ctx)).status).toBe('analysed');
      await handledAll('resumed', published + events);
      expect(await counts(ch, 'resumed')).toEqual(once);
    });
  });
}
