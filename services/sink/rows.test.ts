import { afterAll, describe, expect, it } from 'vitest';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import type { AlertEvent } from '../../core/events/schema.ts';
import {
  embeddedClickHouse,
  type OpenedClickHouse,
  serverClickHouse,
} from '../../test/testing/clickhouse.ts';
import { encodeEvents, insertEvents, tsvField } from './rows.ts';

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
});

// The escaping must survive both dialects: the 18.16 server and current ClickHouse (chdb).
const targets: [string, (() => Promise<OpenedClickHouse>) | undefined][] = [
  ['chdb', embeddedClickHouse('vp-rows')],
  ['ClickHouse server', await serverClickHouse('vp_rows')],
];
for (const [name, open] of targets) {
  describe.skipIf(!open)(`TabSeparated round trip on ${name}`, () => {
    const opened: OpenedClickHouse[] = [];
    afterAll(async () => {
      for (const o of opened) await o.cleanup();
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
  });
}
