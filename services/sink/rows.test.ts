import { afterEach, describe, expect, it } from 'vitest';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { loadMigrations, migrate } from '../../core/clickhouse/migrations.ts';
import type { AlertAckEvent, AlertEvent } from '../../core/events/schema.ts';
import {
  embeddedClickHouse,
  type OpenedClickHouse,
  serverClickHouse,
} from '../../test/testing/clickhouse.ts';
import { encodeEvents, insertEvents, tsvField } from './rows.ts';
import { explained } from './testing/explanations.ts';

describe('tsvField', () => {
  it('escapes exactly the characters TabSeparated gives a meaning', () => {
    expect(tsvField('plain id-1')).toBe('plain id-1');
    expect(tsvField('a\tb\nc\\d\re\0f')).toBe('a\\tb\\nc\\\\d\\re\\0f');
    expect(tsvField(0.125)).toBe('0.125');
    expect(tsvField(1_714_000_000_000)).toBe('1714000000000');
  });
});

describe('encodeEvents', () => {
  it('writes one line per event into its table, columns in the declared order', () => {
    const call = syntheticCall({
      tenantId: 't',
      callId: 'c',
      agentId: null,
      queue: 'q',
      startedAtMs: 1_714_000_000_000,
      durationMs: 30_000,
    });
    const encoded = encodeEvents([...call.scores, call.summary], {
      source: 'g@t\t#0',
      offsets: [...call.scores.map((_, i) => i), 7],
    });
    const scores = encoded.find((e) => e.table === 'scores');
    const summaries = encoded.find((e) => e.table === 'call_summaries');
    expect(scores?.rows).toBe(call.scores.length);
    expect(summaries?.rows).toBe(1);
    const lines = scores?.tsv.split('\n') ?? [];
    expect(lines.at(-1)).toBe('');
    const first = (lines[0] ?? '').split('\t');
    expect(first).toHaveLength(scores?.columns.length ?? -1);
    const field = (name: string) => first[scores?.columns.indexOf(name) ?? -1];
    expect(field('agent_id')).toBe('');
    expect(field('angry')).toBe(String(call.scores[0]?.probs.angry));
    expect(field('source')).toBe('g@t\\t#0');
    expect(field('source_offset')).toBe('0');
    expect(summaries?.tsv.trimEnd().split('\t').slice(-2)).toEqual(['g@t\\t#0', '7']);
  });

  it("writes a score's explanation as its emotion and three parallel arrays, '' and [] without one", () => {
    const [score] = syntheticCall({
      tenantId: 't',
      callId: 'c',
      agentId: null,
      queue: null,
      startedAtMs: 1_714_000_000_000,
      durationMs: 4000,
    }).scores;
    const [scores] = encodeEvents([explained(score!, 'sad'), score!]);
    const field = (name: string, line: number) =>
      scores?.tsv.split('\n')[line]?.split('\t')[scores.columns.indexOf(name)];
    expect(field('explain_emotion', 0)).toBe('sad');
    expect(field('explain_start_ms', 0)).toBe('[0,200,400,600,800,1000,1200,1400,1600,1800]');
    expect(field('explain_end_ms', 0)).toBe('[200,400,600,800,1000,1200,1400,1600,1800,2000]');
    expect(field('explain_weight', 0)).toBe(
      '[0.031,-0.004,1,-1,1e-7,0.123456789,-0.5,0,0.3333333333,-0.0625]',
    );
    expect(
      ['explain_emotion', 'explain_start_ms', 'explain_end_ms', 'explain_weight'].map((c) => field(c, 1)),
    ).toEqual(['', '[]', '[]', '[]']);
  });
});

const ack: AlertAckEvent = {
  schemaVersion: 1,
  type: 'alert_ack',
  eventId: 'ack-1',
  tenantId: 'acme',
  callId: 'call-1',
  agentId: 'ann',
  queue: null,
  customerId: '+15551230000',
  producedAtMs: 1_714_000_060_000,
  alertId: 'call-1:alert:customer_frustration_sustained:8000',
  by: 'Dana',
};

describe('customer ids and acknowledgements', () => {
  const call = syntheticCall({
    tenantId: 't',
    callId: 'c',
    agentId: 'a',
    queue: 'q',
    startedAtMs: 1_714_000_000_000,
    durationMs: 30_000,
  });
  const field = (rows: ReturnType<typeof encodeEvents>[number] | undefined, name: string, line = 0) =>
    rows?.tsv.split('\n')[line]?.split('\t')[rows.columns.indexOf(name)];

  it('store the customer id on every table that names a call, empty when the event has none', () => {
    const [score] = call.scores;
    const alert: AlertEvent = {
      ...score!,
      type: 'alert',
      eventId: 'c:alert',
      rule: 'customer_frustration_sustained',
      speaker: 'customer',
      severity: 'warning',
      atMs: 5000,
      value: 0.5,
      threshold: 0.4,
      message: 'm',
    };
    const encoded = encodeEvents([
      { ...score!, customerId: 'cust-42' },
      score!,
      { ...alert, customerId: 'cust-42' },
      { ...call.summary, customerId: 'cust-42' },
    ]);
    const table = (name: string) => encoded.find((e) => e.table === name);
    expect(field(table('scores'), 'customer_id')).toBe('cust-42');
    expect(field(table('scores'), 'customer_id', 1)).toBe('');
    expect(field(table('alerts'), 'customer_id')).toBe('cust-42');
    expect(field(table('call_summaries'), 'customer_id')).toBe('cust-42');
  });

  it('put an acknowledgement in alert_acks with the alert, who and when', () => {
    const [acks] = encodeEvents([ack], { source: 's', offsets: [3] });
    expect(acks?.table).toBe('alert_acks');
    expect(field(acks, 'alert_id')).toBe(ack.alertId);
    expect(field(acks, 'acked_by')).toBe('Dana');
    expect(field(acks, 'produced_at_ms')).toBe(String(ack.producedAtMs));
    expect(field(acks, 'call_id')).toBe('call-1');
    expect(field(acks, 'source_offset')).toBe('3');
  });
});

// The escaping must survive both dialects: the 18.16 server and current ClickHouse (chdb).
const targets: [string, (() => Promise<OpenedClickHouse>) | undefined][] = [
  ['chdb', embeddedClickHouse('vp-rows')],
  ['ClickHouse server', await serverClickHouse('vp_rows')],
];
for (const [name, open] of targets) {
  describe.skipIf(!open)(`TabSeparated round trip on ${name}`, () => {
    const opened: OpenedClickHouse[] = [];
    // chdb holds one data directory per process: each test's goes before the next opens one.
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.cleanup();
    });

    it('stores awkward strings byte for byte', async () => {
      const o = await open!();
      opened.push(o);
      await migrate(o.ch);
      const messages = [
        'tab\there',
        'line\nbreak',
        'back\\slash \\t not a tab',
        'crlf\r\n',
        'naïve ☎ 😀',
        'quote \' "',
      ];
      const alerts: AlertEvent[] = messages.map((message, i) => ({
        schemaVersion: 1,
        type: 'alert',
        eventId: `e-${i}\t${message}`,
        tenantId: 'acme',
        callId: `call\n${i}`,
        agentId: null,
        queue: null,
        producedAtMs: 1_714_000_000_000 + i,
        rule: 'customer_frustration_sustained',
        speaker: 'customer',
        severity: 'warning',
        atMs: i * 1000,
        value: 0.1 + i / 3,
        threshold: 1e-7,
        message,
      }));
      await insertEvents(o.ch, alerts);
      const rows = await o.ch.query<{
        event_id: string;
        call_id: string;
        message: string;
        value: number;
        threshold: number;
      }>('SELECT event_id, call_id, message, value, threshold FROM alerts ORDER BY produced_at_ms');
      expect(rows.map((r) => r.message)).toEqual(messages);
      expect(rows.map((r) => r.event_id)).toEqual(alerts.map((a) => a.eventId));
      expect(rows.map((r) => r.call_id)).toEqual(alerts.map((a) => a.callId));
      expect(rows.map((r) => r.value)).toEqual(alerts.map((a) => a.value));
      expect(rows.every((r) => r.threshold === 1e-7)).toBe(true);
    });

    it('stores a call’s hold time (migration 006), 0 where the summary has none', async () => {
      const o = await open!();
      opened.push(o);
      await migrate(o.ch);
      const call = (callId: string) =>
        syntheticCall({
          tenantId: 'acme',
          callId,
          agentId: null,
          queue: 'q',
          startedAtMs: 1_714_000_000_000,
          durationMs: 150_000,
        }).summary;
      await insertEvents(o.ch, [{ ...call('held'), holdMs: 120_000 }, call('unknown')]);
      const rows = await o.ch.query<{ call_id: string; hold_ms: number }>(
        'SELECT call_id, hold_ms FROM call_summaries FINAL ORDER BY call_id',
      );
      expect(rows.map((r) => [r.call_id, Number(r.hold_ms)])).toEqual([
        ['held', 120_000],
        ['unknown', 0],
      ]);
    });

    it('stores score explanations (migration 007, added to a table that holds rows), none as empty', async () => {
      const o = await open!();
      opened.push(o);
      const before = loadMigrations().filter((m) => m.version < '007');
      await migrate(o.ch, before);
      const [old, plain, rich] = syntheticCall({
        tenantId: 'acme',
        callId: 'call-1',
        agentId: null,
        queue: 'q',
        startedAtMs: 1_714_000_000_000,
        durationMs: 4000,
      }).scores;
      // A row stored before migration 007, with the columns it had.
      await o.ch.insert('scores', [
        {
          event_id: old!.eventId,
          tenant_id: 'acme',
          call_id: 'call-1',
          speaker: 'customer',
          produced_at_ms: 1,
        },
      ]);
      expect(await migrate(o.ch)).toEqual(['007_score_explanations']);
      const explanation = explained(rich!, 'angry').explanation!;
      await insertEvents(o.ch, [plain!, { ...rich!, explanation }]);
      const rows = await o.ch.query<{
        event_id: string;
        explain_emotion: string;
        explain_start_ms: number[];
        explain_end_ms: number[];
        explain_weight: number[];
      }>(
        `SELECT event_id, explain_emotion, explain_start_ms, explain_end_ms, explain_weight
         FROM scores FINAL ORDER BY event_id`,
      );
      const byId = new Map(rows.map((r) => [r.event_id, r]));
      for (const id of [old!.eventId, plain!.eventId])
        expect(byId.get(id)).toEqual({
          event_id: id,
          explain_emotion: '',
          explain_start_ms: [],
          explain_end_ms: [],
          explain_weight: [],
        });
      const stored = byId.get(rich!.eventId)!;
      expect(stored.explain_emotion).toBe('angry');
      expect(stored.explain_start_ms.map(Number)).toEqual(explanation.segments.map((s) => s.startMs));
      expect(stored.explain_end_ms.map(Number)).toEqual(explanation.segments.map((s) => s.endMs));
      expect(stored.explain_weight).toHaveLength(explanation.segments.length);
      stored.explain_weight.forEach((w, i) => {
        expect(Math.abs(w - explanation.segments[i]!.weight)).toBeLessThan(1e-6);
      });
    });

    it('stores customer ids and acknowledgements (migration 005)', async () => {
      const o = await open!();
      opened.push(o);
      await migrate(o.ch);
      const call = syntheticCall({
        tenantId: 'acme',
        callId: 'call-1',
        agentId: 'ann',
        queue: 'q',
        startedAtMs: 1_714_000_000_000,
        durationMs: 10_000,
      });
      await insertEvents(o.ch, [{ ...call.summary, customerId: '+15551230000' }, ack]);
      const [summary] = await o.ch.query<{ customer_id: string }>(
        'SELECT customer_id FROM call_summaries FINAL',
      );
      expect(summary?.customer_id).toBe('+15551230000');
      const acks = await o.ch.query<Record<string, unknown>>(
        'SELECT alert_id, acked_by, call_id, customer_id, produced_at_ms FROM alert_acks',
      );
      expect(acks.map((r) => ({ ...r, produced_at_ms: Number(r.produced_at_ms) }))).toEqual([
        {
          alert_id: ack.alertId,
          acked_by: 'Dana',
          call_id: 'call-1',
          customer_id: '+15551230000',
          produced_at_ms: ack.producedAtMs,
        },
      ]);
    });
  });
}
