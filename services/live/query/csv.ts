// CSV exports of the query API: every list and report endpoint answers `text/csv` for
// `Accept: text/csv` or `?format=csv` (`?format=json` or no preference: JSON, as before). One table
// per endpoint with a fixed header row, written row by row with the response's back-pressure, so an
// export never becomes one big string. Values are the JSON's: numbers as JSON writes them, null as
// an empty cell, booleans as true/false; a nested JSON object becomes rows (a timeline's windows,
// alerts and summary, told apart by `kind`; a window's explanation becomes two cells, see
// explanationCell). Quoting is RFC 4180 (csv-stringify).
import type { ServerResponse } from 'node:http';
import { stringify } from 'csv-stringify/sync';
import { EMOTIONS } from '../../../core/emotions.ts';
import type { Explanation } from '../../../core/events/schema.ts';

export type Cell = string | number | boolean | null | undefined;
export type CsvRow = readonly Cell[];

export interface CsvTable {
  /** File name offered to a browser (Content-Disposition). */
  name: string;
  columns: readonly string[];
  rows(body: unknown): Iterable<CsvRow>;
}

const MEASURES = [
  'calls',
  'avgCustomerFrustration',
  'frustrationChange',
  'alerts',
  'csat',
  'talkMs',
  'avgDurationMs',
] as const;

/** Columns of a call in `/api/calls` and `/api/calls/most-frustrated` (and `voicepulse export calls`). */
export const CALL_COLUMNS = [
  'callId',
  'agentId',
  'queue',
  'customerId',
  'startedAtMs',
  'endedAtMs',
  'durationMs',
  'meanFrustration',
  'peakFrustration',
  'alerts',
  'csat',
] as const;

type Obj = Record<string, unknown>;
const pick = (o: Obj, columns: readonly string[]): CsvRow => columns.map((c) => o[c] as Cell);

const calls: CsvTable = {
  name: 'calls',
  columns: CALL_COLUMNS,
  *rows(body) {
    for (const call of (body as { calls: Obj[] }).calls) yield pick(call, CALL_COLUMNS);
  },
};

const SCORE_FIELDS = [
  'speaker',
  'windowStartMs',
  'windowEndMs',
  'producedAtMs',
  ...EMOTIONS,
  'valence',
  'arousal',
  'frustration',
  'explanationEmotion',
  'explanation',
];
const ALERT_FIELDS = ['rule', 'severity', 'atMs', 'value', 'threshold', 'message'];
/** The columns of a timeline's `summary` row: the fields of the call's summary. */
export const SUMMARY_FIELDS = [
  'startedAtMs',
  'endedAtMs',
  'durationMs',
  'holdMs',
  'customerScored',
  'meanFrustration',
  'peakFrustration',
  'startValence',
  'endValence',
  'startFrustration',
  'endFrustration',
  'alerts',
  'csat',
];
/**
 * A timeline: one row per scored window (`kind` score), per alert (`alert`, its speaker in
 * `speaker`) and the summary (`summary`); each row fills the columns of its kind.
 */
export const TIMELINE_COLUMNS = [
  'callId',
  'agentId',
  'queue',
  'kind',
  ...SCORE_FIELDS,
  ...ALERT_FIELDS,
  ...SUMMARY_FIELDS,
];

/**
 * A window's explanation segments in one cell: `startMs-endMs:weight` each, `;` between them, numbers
 * as JSON writes them (`12000-12200:0.031;12200-12400:-0.004`); its emotion is the cell before.
 */
export function explanationCell(explanation: Explanation): string {
  return explanation.segments.map((s) => `${s.startMs}-${s.endMs}:${s.weight}`).join(';');
}

const timeline: CsvTable = {
  name: 'timeline',
  columns: TIMELINE_COLUMNS,
  *rows(body) {
    const t = body as Obj & { customer: Obj[]; agent: Obj[]; alerts: Obj[]; summary: Obj | null };
    const row = (kind: string, fields: Obj) =>
      TIMELINE_COLUMNS.map((c) =>
        c === 'kind'
          ? kind
          : c === 'callId' || c === 'agentId' || c === 'queue'
            ? (t[c] as Cell)
            : (fields[c] as Cell),
      );
    for (const speaker of ['customer', 'agent'] as const)
      for (const w of t[speaker]) {
        const { probs, explanation, ...rest } = w as Obj & { probs: Obj; explanation: Explanation | null };
        yield row('score', {
          speaker,
          ...rest,
          ...probs,
          explanationEmotion: explanation?.emotion ?? null,
          explanation: explanation ? explanationCell(explanation) : null,
        });
      }
    for (const a of t.alerts) yield row('alert', a);
    if (t.summary) yield row('summary', t.summary);
  },
};

const SCORECARD_COLUMNS = ['agentId', 'fromMs', 'toMs', ...MEASURES];
const scorecard: CsvTable = {
  name: 'scorecard',
  columns: SCORECARD_COLUMNS,
  *rows(body) {
    yield pick(body as Obj, SCORECARD_COLUMNS);
  },
};

/** A trend: one row per bucket; the request's queue, bucket and time zone repeat on every row. */
const trendTable = (queue: boolean): CsvTable => {
  const fixed = queue ? ['queue', 'bucket', 'tz'] : ['bucket', 'tz'];
  const columns = [...fixed, 'start', 'startMs', ...MEASURES];
  return {
    name: 'trend',
    columns,
    *rows(body) {
      const b = body as Obj & { points: Obj[] };
      for (const p of b.points) yield columns.map((c) => (fixed.includes(c) ? b[c] : p[c]) as Cell);
    },
  };
};

const TABLES: [RegExp, CsvTable][] = [
  [/^\/api\/calls\/[^/]+\/timeline$/, timeline],
  [/^\/api\/agents\/[^/]+\/scorecard$/, scorecard],
  [/^\/api\/queues\/[^/]+\/trend$/, trendTable(true)],
  [/^\/api\/trend$/, trendTable(false)],
  [/^\/api\/calls(\/most-frustrated)?$/, calls],
];

/** The CSV table of a REST path, if it has one. */
export function csvTableFor(pathname: string): CsvTable | undefined {
  return TABLES.find(([pattern]) => pattern.test(pathname))?.[1];
}

/**
 * Whether the request asks for CSV: `?format=csv` (removed from `params`, so the query's own
 * validation never sees it) or, without `format`, an Accept header naming text/csv before JSON.
 * Returns undefined for a `format` other than csv/json (the caller answers 400).
 */
export function wantsCsv(params: URLSearchParams, accept: string | undefined): boolean | undefined {
  const format = params.get('format');
  if (format !== null) {
    params.delete('format');
    if (format === 'csv') return true;
    return format === 'json' ? false : undefined;
  }
  const types = (accept ?? '').split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const csv = types.indexOf('text/csv');
  const json = types.indexOf('application/json');
  return csv >= 0 && (json < 0 || csv < json);
}

const cast = { boolean: (v: boolean) => String(v) };

/** One CSV line (RFC 4180 quoting, ending in \n). */
export function csvLine(cells: CsvRow): string {
  return stringify([cells.map((c) => (c === undefined ? null : c))], { cast });
}

/** Writes the header and each row as its own chunk, waiting whenever the socket's buffer is full. */
export async function writeCsv(
  res: ServerResponse,
  table: CsvTable,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${table.name}.csv"`,
    'cache-control': 'no-store',
    ...headers,
  });
  // A client that goes away ends the export; one that reads slowly holds it at the socket's buffer.
  const write = async (line: string) => {
    if (res.write(line)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
  };
  await write(csvLine(table.columns));
  for (const row of table.rows(body)) {
    if (res.destroyed) return;
    await write(csvLine(row));
  }
  res.end();
}

/** Headers carrying what a CSV body cannot: the next page's cursor of a paginated list. */
export function csvHeaders(body: unknown): Record<string, string> {
  const next = (body as { nextCursor?: unknown }).nextCursor;
  return typeof next === 'string' ? { 'x-next-cursor': next } : {};
}
