import { afterAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../../core/clickhouse/client.ts';
import { migrate } from '../../../core/clickhouse/migrations.ts';
import type { CallSummaryEvent, VoicePulseEvent } from '../../../core/events/schema.ts';
import { csatProxy } from '../../../core/recordings/report.ts';
import type { RecordingKey } from '../../../core/recordings/store.ts';
import { callWav, syntheticCall } from '../../../core/recordings/testing/audio.ts';
import { tenantPolicySchema } from '../../../core/tenancy/policy.ts';
import {
  embeddedClickHouse,
  type OpenedClickHouse,
  serverClickHouse,
} from '../../../test/testing/clickhouse.ts';
import { clickhouseRecordingStore } from '../../sink/recording-store.ts';
import { encodeEvents, TABLES } from '../../sink/rows.ts';
import { storedPositions, storeOnce } from '../../sink/sink.ts';
import { agentScorecard, callTimeline, trend } from '../query/queries.ts';
import { processRecording, type RecordingContext } from './batch.ts';
import { energyPool } from './testing/pool.ts';

// Last March: far outside the query API's default "last 7 days", so only the recorded time finds it.
const STARTED = Date.parse('2024-03-05T14:30:00Z');
const agentScoring = tenantPolicySchema.parse({ agentEmotionScoring: true });
const TENANTS = [
  'once',
  'resumed',
  'reference',
  'clash',
  'dated',
  'together',
  'failing',
  'sources',
  'invalid',
] as const;
const policies = Object.fromEntries(TENANTS.map((t) => [t, agentScoring]));
const wav = callWav(syntheticCall(90, { seed: 4 }));
const other = callWav(syntheticCall(30, { seed: 5 }));
// One store per target (chdb opens one data directory per process); each test has its own tenant.
const given = (tenantId: (typeof TENANTS)[number]) => ({
  callId: 'rec-42',
  tenantId,
  agentId: 'a-7',
  queue: 'billing',
  startedAtMs: STARTED,
});

async function counts(o: OpenedClickHouse, tenant: string) {
  const n = async (sql: string) =>
    Number((await o.ch.query<{ n: string }>(`${sql} WHERE tenant_id = {t:String}`, { t: tenant }))[0]?.n);
  return {
    scores: await n('SELECT count() AS n FROM scores'),
    alerts: await n('SELECT count() AS n FROM alerts'),
    summaries: await n('SELECT count() AS n FROM call_summaries'),
    // Minute aggregates: what a duplicate insert would inflate even where FINAL hides raw copies.
    windows: await n('SELECT countMerge(windows) AS n FROM score_minutes'),
    talk: await n('SELECT sumMerge(talk_ms_sum) AS n FROM call_minutes'),
  };
}

/** `ch` with every insert's table recorded in `inserts`; `fail(table)` true makes that insert throw. */
function watched(ch: ClickHouse, fail: (table: string) => boolean = () => false) {
  const inserts: string[] = [];
  const proxy = new Proxy(ch, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop === 'insertTsv')
        return async (table: string, columns: readonly string[], tsv: string) => {
          inserts.push(table);
          if (fail(table)) throw new Error(`insert into ${table} refused`);
          return target.insertTsv(table, columns, tsv);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ch: proxy, inserts };
}

const targets: [string, (() => Promise<OpenedClickHouse>) | undefined][] = [
  ['chdb', embeddedClickHouse('vp-recordings')],
  ['ClickHouse server', await serverClickHouse('vp_recordings')],
];
for (const [name, open] of targets) {
  describe.skipIf(!open)(`recordings stored on ${name}`, () => {
    let opened: Promise<OpenedClickHouse> | undefined;
    const pool = energyPool();
    afterAll(async () => {
      await pool.close();
      await (await opened)?.cleanup();
    });
    const setup = async () => {
      opened ??= open!().then(async (o) => {
        await migrate(o.ch);
        return o;
      });
      const o = await opened;
      const ctx: RecordingContext = { pool, store: clickhouseRecordingStore(o.ch), policies, roles: {} };
      return { o, ctx };
    };

    /** Four recordings' keys and events, analysed but not stored. */
    const analysed = async (ctx: RecordingContext, tenantId: (typeof TENANTS)[number]) => {
      const out: { key: RecordingKey; events: readonly VoicePulseEvent[] }[] = [];
      const capture: RecordingContext = {
        ...ctx,
        store: { ...ctx.store, store: async (key, events) => void out.push({ key, events }) },
      };
      for (let i = 0; i < 4; i++) {
        const bytes = callWav(syntheticCall(20, { seed: 10 + i }));
        const input = {
          file: `${i}.wav`,
          bytes,
          given: { ...given(tenantId), callId: `call-${i}` },
          modifiedAtMs: 0,
        };
        expect((await processRecording(input, capture)).status).toBe('analysed');
      }
      return out;
    };
    const perCall = async (o: OpenedClickHouse, tenant: string) =>
      (
        await o.ch.query<{ call: string; scores: string; summaries: string }>(
          `SELECT call_id AS call, countIf(kind = 's') AS scores, countIf(kind = 'c') AS summaries FROM (
             SELECT call_id, 's' AS kind FROM scores WHERE tenant_id = {t:String}
             UNION ALL SELECT call_id, 'c' AS kind FROM call_summaries WHERE tenant_id = {t:String})
           GROUP BY call_id ORDER BY call_id`,
          { t: tenant },
        )
      ).map((r) => [r.call, Number(r.scores), Number(r.summaries)]);
    const expected = (recordings: Awaited<ReturnType<typeof analysed>>) =>
      recordings.map(({ key, events }) => [key.callId, events.filter((e) => e.type === 'score').length, 1]);

    it('stores recordings that finish together in one pass: one insert per table, each recording once', async () => {
      const { o, ctx } = await setup();
      const recordings = await analysed(ctx, 'together');
      const { ch, inserts } = watched(o.ch);
      const store = clickhouseRecordingStore(ch);
      // The first starts a pass alone; the three asking while it runs share the next.
      await Promise.all(recordings.map(({ key, events }) => store.store(key, events)));
      const tables = (rs: typeof recordings) =>
        (['scores', 'alerts', 'call_summaries'] as const).filter((t) =>
          rs.some(({ events }) => events.some((e) => TABLES[e.type] === t)),
        );
      expect(inserts).toEqual([...tables(recordings.slice(0, 1)), ...tables(recordings.slice(1))]);
      expect(inserts.filter((t) => t === 'scores')).toHaveLength(2);
      expect(await perCall(o, 'together')).toEqual(expected(recordings));
      for (const { key } of recordings) expect(await store.lookup(key)).toEqual({ state: 'same' });
    });

    it('fails every recording of a pass that fails, and stores each once when they are stored again', async () => {
      const { o, ctx } = await setup();
      const recordings = await analysed(ctx, 'failing');
      let refuse = true;
      const { ch } = watched(o.ch, (table) => refuse && table === 'call_summaries');
      const store = clickhouseRecordingStore(ch);
      const first = await Promise.allSettled(recordings.map(({ key, events }) => store.store(key, events)));
      expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
      // Their scores went in before the summaries' insert failed: none is complete.
      for (const { key } of recordings) expect(await store.lookup(key)).toEqual({ state: 'absent' });
      refuse = false;
      await Promise.all(recordings.map(({ key, events }) => store.store(key, events)));
      expect(await perCall(o, 'failing')).toEqual(expected(recordings));
    });

    it('fails a recording whose events are invalid on its own; the others asking with it are stored', async () => {
      const { o, ctx } = await setup();
      const recordings = await analysed(ctx, 'invalid');
      const store = clickhouseRecordingStore(o.ch);
      // The first starts a pass alone; the bad one asks with the other two, which share the next.
      const [first, bad, ...rest] = recordings;
      const good = [first!, ...rest];
      const broken = bad!.events.map((e, i) =>
        i === 0 ? { ...e, type: 'nonsense' } : e,
      ) as VoicePulseEvent[];
      const results = await Promise.allSettled([
        store.store(first!.key, first!.events),
        store.store(bad!.key, broken),
        ...rest.map(({ key, events }) => store.store(key, events)),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(await perCall(o, 'invalid')).toEqual(expected(good));
    });

    it('reads the stored positions of more sources than one statement asks for', async () => {
      const { o, ctx } = await setup();
      const [first] = await analysed(ctx, 'sources');
      const scores = first!.events.filter((e) => e.type === 'score');
      // 70 sources (one statement reads 64), each at offset 0 or 1, and one never stored.
      const events = Array.from({ length: 70 }, (_, i) => scores[i % scores.length]!);
      const sources = events.map((_, i) => `positions-test:${i}`);
      const offsets = events.map((_, i) => i % 2);
      await storeOnce(o.ch, events, { source: sources, offsets });
      const read = await storedPositions(o.ch, [...sources, 'positions-test:none', sources[0]!]);
      expect(read.size).toBe(70);
      expect(sources.map((s) => read.get(s))).toEqual(offsets);
      expect(read.has('positions-test:none')).toBe(false);
    });

    it('stores a recording once: the same audio and call id again adds no row and no aggregate', async () => {
      const { o, ctx } = await setup();
      const input = { file: 'a.wav', bytes: wav, given: given('once'), modifiedAtMs: 0 };
      const first = await processRecording(input, ctx);
      expect(first.status).toBe('analysed');
      const after = await counts(o, 'once');
      expect(after.scores).toBeGreaterThan(50);
      expect(after.summaries).toBe(1);
      const again = await processRecording(input, ctx);
      expect(again).toMatchObject({ status: 'skipped', reason: 'already stored (same audio and call id)' });
      expect(await counts(o, 'once')).toEqual(after);
    });

    it('resumes a store that died half-way without counting anything twice', async () => {
      const { o, ctx } = await setup();
      const input = { file: 'a.wav', bytes: wav, given: given('resumed'), modifiedAtMs: 0 };
      // The complete result, for comparison, under a tenant of its own.
      await processRecording({ ...input, given: given('reference') }, ctx);
      const expected = await counts(o, 'reference');
      // A run that stored only its first 20 scores before dying: the rows and their position.
      let partial: string | undefined;
      const dying: RecordingContext = {
        ...ctx,
        store: {
          ...ctx.store,
          async store(key, events) {
            const scores = events.filter((e) => e.type === 'score').slice(0, 20);
            const source = `recording:${key.contentHash}:${key.tenantId}/${key.callId}#score`;
            partial = source;
            for (const rows of encodeEvents(scores, { source, offsets: scores.map((_, i) => i) }))
              await o.ch.insertTsv(rows.table, rows.columns, rows.tsv);
            throw new Error('killed');
          },
        },
      };
      expect((await processRecording(input, dying)).status).toBe('failed');
      expect(partial).toBeDefined();
      expect((await counts(o, 'resumed')).scores).toBe(20);
      expect((await processRecording(input, ctx)).status).toBe('analysed');
      expect(await counts(o, 'resumed')).toEqual(expected);
    });

    it('refuses other audio under a call id that is already stored', async () => {
      const { o, ctx } = await setup();
      await processRecording({ file: 'a.wav', bytes: wav, given: given('clash'), modifiedAtMs: 0 }, ctx);
      const before = await counts(o, 'clash');
      const clash = await processRecording(
        { file: 'b.wav', bytes: other, given: given('clash'), modifiedAtMs: 0 },
        ctx,
      );
      expect(clash.status).toBe('failed');
      expect(clash.reason).toMatch(
        /^CALL_ID_TAKEN: call id rec-42 of tenant clash already holds a recording of other audio/,
      );
      expect(await counts(o, 'clash')).toEqual(before);
    });

    it("puts the call in the scorecard, the trend and the timeline at the recording's time", async () => {
      const { o, ctx } = await setup();
      const report = await processRecording(
        { file: 'a.wav', bytes: wav, given: given('dated'), modifiedAtMs: 0 },
        ctx,
      );
      const march = { fromMs: Date.parse('2024-03-01T00:00:00Z'), toMs: Date.parse('2024-04-01T00:00:00Z') };
      const card = await agentScorecard(o.ch, 'dated', 'a-7', march);
      expect(card.calls).toBe(1);
      expect(card.talkMs).toBeGreaterThan(60_000);
      const lastWeek = { fromMs: Date.now() - 7 * 86_400_000, toMs: Date.now() };
      expect((await agentScorecard(o.ch, 'dated', 'a-7', lastWeek)).calls).toBe(0);
      const points = await trend(o.ch, 'dated', march, 'hour', 'UTC', 'billing');
      expect(points.map((p) => [p.startMs, p.calls])).toEqual([[Date.parse('2024-03-05T14:00:00Z'), 1]]);
      const timeline = await callTimeline(o.ch, 'dated', 'rec-42');
      expect(timeline?.summary?.startedAtMs).toBe(STARTED);
      expect(timeline?.summary?.endedAtMs).toBe(STARTED + 90_000);
      for (const w of timeline!.customer) expect(w.producedAtMs).toBe(STARTED + w.windowEndMs);
      // The per-minute aggregates fall in the recorded minutes too.
      const minutes = await o.ch.query<{ m: number }>(
        `SELECT DISTINCT toUInt32(minute) AS m FROM score_minutes
       WHERE tenant_id = 'dated' AND speaker = 'customer' ORDER BY m`,
      );
      expect(minutes.map((r) => Number(r.m) * 1000)).toEqual([0, 1].map((k) => STARTED + k * 60_000));
      // The reported CSAT proxy is the store's.
      const [row] = await o.ch.query<{ csat: number }>(
        "SELECT csat_proxy AS csat FROM call_summaries FINAL WHERE tenant_id = 'dated'",
      );
      expect(report.csat).toBeCloseTo(Number(row?.csat), 4);
      expect(timeline?.summary?.csat).toBeCloseTo(report.csat!, 4);
    });
  });
}

describe('csatProxy', () => {
  it('is null when the customer was not scored', () => {
    const summary = { customer: { emotion: null } } as unknown as CallSummaryEvent;
    expect(csatProxy(summary)).toBeNull();
  });
});
