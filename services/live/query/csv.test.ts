import { createServer, type Server } from 'node:http';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCall } from '../../../core/bus/testing/synthetic.ts';
import { migrate } from '../../../core/clickhouse/migrations.ts';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { embeddedClickHouse, type OpenedClickHouse } from '../../../test/testing/clickhouse.ts';
import { insertEvents } from '../../sink/rows.ts';
import { explained } from '../../sink/testing/explanations.ts';
import { createQueryApi } from './api.ts';
import {
  CALL_COLUMNS,
  csvTableFor,
  explanationCell,
  SUMMARY_FIELDS,
  TIMELINE_COLUMNS,
  wantsCsv,
} from './csv.ts';

const TOKEN = 'operator-token-0123456789';
const T0 = Date.UTC(2024, 4, 1, 12);
const NOW = T0 + 10 * 86_400_000;

/** Parses CSV back to objects, cells cast to what the JSON holds: '' → null, numbers, booleans. */
function parseBack(text: string): Record<string, unknown>[] {
  return parse(text, {
    columns: true,
    cast: (value, context) => {
      if (context.header) return value;
      if (value === '') return null;
      if (value === 'true' || value === 'false') return value === 'true';
      return /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(value) && context.column !== 'callId' ? Number(value) : value;
    },
  });
}

describe('CSV exports of the query API', () => {
  let opened: OpenedClickHouse;
  let server: Server;
  let base: string;
  const events: VoicePulseEvent[] = [];

  beforeAll(async () => {
    opened = await embeddedClickHouse('vp-csv')();
    await migrate(opened.ch);
    for (let i = 0; i < 7; i++) {
      const c = syntheticCall({
        tenantId: 'acme',
        callId: `call-${i}`,
        agentId: `agent-${i % 2}`,
        queue: 'billing',
        startedAtMs: T0 + i * 3_600_000,
        durationMs: 20_000,
        escalation: i / 7,
      });
      // call-6's customer windows from 8 s on carry explanations.
      const scores = c.scores.map((s) =>
        i === 6 && s.speaker === 'customer' && s.windowStartMs >= 8000 ? explained(s) : s,
      );
      events.push(...scores, ...c.alerts, c.summary);
    }
    await insertEvents(opened.ch, events);
    const api = createQueryApi({
      clickhouse: opened.ch,
      auth: { operatorToken: TOKEN, defaultTenant: 'acme' },
      now: () => NOW,
    });
    server = createServer(async (req, res) => {
      await api.handle(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await opened.cleanup();
  });

  const get = (path: string, accept?: string) =>
    fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${TOKEN}`, ...(accept ? { accept } : {}) },
    });
  const json = async (path: string) => (await get(path)).json() as Promise<Record<string, unknown>>;
  const csv = async (path: string, accept?: string) => {
    const res = await get(path, accept);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    return { text: await res.text(), res };
  };
  const range = 'from=2024-05-01&to=2024-05-03';

  it('lists calls as CSV that parses back to the JSON, with a header row and the next cursor in a header', async () => {
    const path = `/api/calls?${range}&limit=4`;
    const { text, res } = await csv(`${path}&format=csv`);
    expect(text.split('\n')[0]).toBe(CALL_COLUMNS.join(','));
    const body = await json(path);
    expect(parseBack(text)).toEqual(body.calls);
    expect(res.headers.get('x-next-cursor')).toBe(body.nextCursor);
    // Accept: text/csv gives the same.
    expect((await csv(path, 'text/csv')).text).toBe(text);
    const frustrated = `/api/calls/most-frustrated?${range}`;
    expect(parseBack((await csv(frustrated, 'text/csv, application/json;q=0.5')).text)).toEqual(
      (await json(frustrated)).calls,
    );
  });

  it('exports a timeline as rows of scores, alerts and the summary that rebuild the JSON', async () => {
    const path = '/api/calls/call-6/timeline';
    const { text } = await csv(`${path}?format=csv`);
    expect(text.split('\n')[0]).toBe(TIMELINE_COLUMNS.join(','));
    const rows = parseBack(text);
    const body = await json(path);
    const fields = (r: Record<string, unknown>, names: string[]) =>
      Object.fromEntries(names.map((n) => [n, r[n]]));
    const score = (r: Record<string, unknown>) => ({
      ...fields(r, ['windowStartMs', 'windowEndMs', 'producedAtMs']),
      probs: fields(r, ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad']),
      ...fields(r, ['valence', 'arousal', 'frustration']),
      explanation:
        r.explanationEmotion === null
          ? null
          : {
              emotion: r.explanationEmotion,
              segments: String(r.explanation)
                .split(';')
                .map((cell) => {
                  const [, startMs, endMs, weight] = /^(\d+)-(\d+):(.+)$/.exec(cell)!;
                  return { startMs: Number(startMs), endMs: Number(endMs), weight: Number(weight) };
                }),
            },
    });
    const alerts = rows.filter((r) => r.kind === 'alert');
    expect(alerts.length).toBeGreaterThan(0);
    // Both kinds of window are in this export: with an explanation and without.
    const explainedRows = rows.filter((r) => r.kind === 'score' && r.explanation !== null);
    expect(explainedRows.length).toBeGreaterThan(0);
    expect(explainedRows.length).toBeLessThan(rows.filter((r) => r.kind === 'score').length);
    const summary = rows.find((r) => r.kind === 'summary')!;
    const rebuilt = {
      callId: rows[0]!.callId,
      agentId: rows[0]!.agentId,
      queue: rows[0]!.queue,
      customer: rows.filter((r) => r.kind === 'score' && r.speaker === 'customer').map(score),
      agent: rows.filter((r) => r.kind === 'score' && r.speaker === 'agent').map(score),
      alerts: alerts.map((r) =>
        fields(r, ['rule', 'speaker', 'severity', 'atMs', 'value', 'threshold', 'message']),
      ),
      summary: fields(summary, SUMMARY_FIELDS),
      tz: body.tz,
    };
    expect(rebuilt).toEqual(body);
  });

  it('writes an explanation as its emotion and one cell of start-end:weight segments', () => {
    expect(
      explanationCell({
        emotion: 'angry',
        segments: [
          { startMs: 12_000, endMs: 12_200, weight: 0.031 },
          { startMs: 12_200, endMs: 12_400, weight: -0.004 },
          { startMs: 12_400, endMs: 12_600, weight: 1e-7 },
        ],
      }),
    ).toBe('12000-12200:0.031;12200-12400:-0.004;12400-12600:1e-7');
  });

  it('exports scorecards and trends, one row per bucket', async () => {
    const card = `/api/agents/agent-1/scorecard?${range}`;
    expect(parseBack((await csv(`${card}&format=csv`)).text)).toEqual([await json(card)]);
    for (const path of [
      `/api/queues/billing/trend?${range}`,
      `/api/trend?${range}&bucket=day&tz=Europe/Rome`,
    ]) {
      const body = (await json(path)) as { points: Record<string, unknown>[] } & Record<string, unknown>;
      const { points, ...fixed } = body;
      expect(points.length).toBeGreaterThan(0);
      expect(parseBack((await csv(`${path}&format=csv`)).text)).toEqual(
        points.map((p) => ({ ...fixed, ...p })),
      );
    }
  });

  it('keeps JSON as the default and refuses an unknown format', async () => {
    const res = await get(`/api/calls?${range}`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await get(`/api/calls?${range}&format=json`, 'text/csv')).headers.get('content-type')).toMatch(
      /^application\/json/,
    );
    const bad = await get(`/api/calls?${range}&format=xml`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: '`format` must be json or csv' });
  });

  it('answers with a header row even when there are no rows', async () => {
    const { text } = await csv('/api/calls?from=2020-01-01&to=2020-01-02&format=csv');
    expect(text).toBe(`${CALL_COLUMNS.join(',')}\n`);
  });

  it('negotiates from the Accept header and knows a table for every list and report path', () => {
    const p = () => new URLSearchParams();
    expect(wantsCsv(p(), 'text/csv')).toBe(true);
    expect(wantsCsv(p(), 'application/json, text/csv')).toBe(false);
    expect(wantsCsv(p(), '*/*')).toBe(false);
    const withFormat = new URLSearchParams('format=csv&limit=3');
    expect(wantsCsv(withFormat, undefined)).toBe(true);
    expect(withFormat.toString()).toBe('limit=3');
    for (const path of [
      '/api/calls',
      '/api/calls/most-frustrated',
      '/api/calls/x/timeline',
      '/api/agents/a/scorecard',
      '/api/queues/q/trend',
      '/api/trend',
    ])
      expect(csvTableFor(path)).toBeDefined();
  });
});
