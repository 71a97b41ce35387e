// The historical queries, each a fixed SQL text with `{name:Type}` parameters. Every query is
// scoped by tenant_id in its WHERE clause (the tenant comes from the caller's token, never from the
// request), and reads the raw tables with FINAL so replayed events never count twice.
import type { ClickHouse } from '../../../core/clickhouse/client.ts';
import { EMOTIONS, type Emotion } from '../../../core/emotions.ts';
import type { Explanation } from '../../../core/events/schema.ts';

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

const num = (v: unknown) => Number(v ?? 0);
const sec = (ms: number) => Math.floor(ms / 1000);

/** Time filter on a DateTime column (prunes partitions) refined by its millisecond twin. */
const RANGE_SQL = `started_at >= toDateTime({fromS:UInt32}) AND started_at <= toDateTime({toS:UInt32})
  AND started_at_ms >= {fromMs:UInt64} AND started_at_ms < {toMs:UInt64}`;
const rangeParams = (r: TimeRange) => ({
  fromS: sec(r.fromMs),
  toS: sec(r.toMs),
  fromMs: r.fromMs,
  toMs: r.toMs,
});

export interface TimelinePoint {
  windowStartMs: number;
  windowEndMs: number;
  producedAtMs: number;
  probs: Record<Emotion, number>;
  valence: number;
  arousal: number;
  frustration: number;
  /** Which segments of the window drove its score (migration 007); null when it was stored without. */
  explanation: Explanation | null;
}

/** A stored explanation from its emotion and parallel segment arrays; '' = none. */
function explanationOf(r: Record<string, unknown>): Explanation | null {
  if (!r.explain_emotion) return null;
  const ends = r.explain_end_ms as unknown[];
  const weights = r.explain_weight as unknown[];
  return {
    emotion: r.explain_emotion as Emotion,
    segments: (r.explain_start_ms as unknown[]).map((start, i) => ({
      startMs: num(start),
      endMs: num(ends[i]),
      weight: num(weights[i]),
    })),
  };
}

export async function callTimeline(ch: ClickHouse, tenantId: string, callId: string) {
  const params = { tenant: tenantId, call: callId };
  const [scores, alerts, summaries] = await Promise.all([
    ch.query<Record<string, unknown>>(
      `SELECT speaker, agent_id, queue, window_start_ms, window_end_ms, produced_at_ms, ${EMOTIONS.join(', ')},
              valence, arousal, frustration, explain_emotion, explain_start_ms, explain_end_ms, explain_weight
       FROM scores FINAL
       WHERE tenant_id = {tenant:String} AND call_id = {call:String}
       ORDER BY speaker, window_start_ms`,
      params,
    ),
    ch.query<Record<string, unknown>>(
      `SELECT rule, speaker, severity, at_ms, value, threshold, message, produced_at_ms
       FROM alerts FINAL WHERE tenant_id = {tenant:String} AND call_id = {call:String} ORDER BY at_ms`,
      params,
    ),
    ch.query<Record<string, unknown>>(
      `SELECT agent_id, queue, started_at_ms, ended_at_ms, duration_ms, hold_ms, customer_scored, customer_mean_frustration,
              customer_peak_frustration, customer_start_valence, customer_end_valence, customer_start_frustration,
              customer_end_frustration, alerts, csat_proxy
       FROM call_summaries FINAL WHERE tenant_id = {tenant:String} AND call_id = {call:String}`,
      params,
    ),
  ]);
  if (scores.length === 0 && alerts.length === 0 && summaries.length === 0) return undefined;
  const point = (r: Record<string, unknown>): TimelinePoint => ({
    windowStartMs: num(r.window_start_ms),
    windowEndMs: num(r.window_end_ms),
    producedAtMs: num(r.produced_at_ms),
    probs: Object.fromEntries(EMOTIONS.map((e) => [e, num(r[e])])) as Record<Emotion, number>,
    valence: num(r.valence),
    arousal: num(r.arousal),
    frustration: num(r.frustration),
    explanation: explanationOf(r),
  });
  const s = summaries[0];
  const first = s ?? scores[0] ?? alerts[0] ?? {};
  return {
    callId,
    agentId: (first.agent_id as string) || null,
    queue: (first.queue as string) || null,
    customer: scores.filter((r) => r.speaker === 'customer').map(point),
    agent: scores.filter((r) => r.speaker === 'agent').map(point),
    alerts: alerts.map((r) => ({
      rule: r.rule as string,
      speaker: r.speaker as string,
      severity: r.severity as string,
      atMs: num(r.at_ms),
      value: num(r.value),
      threshold: num(r.threshold),
      message: r.message as string,
    })),
    summary: s
      ? {
          startedAtMs: num(s.started_at_ms),
          endedAtMs: num(s.ended_at_ms),
          durationMs: num(s.duration_ms),
          holdMs: num(s.hold_ms),
          customerScored: num(s.customer_scored) === 1,
          meanFrustration: num(s.customer_mean_frustration),
          peakFrustration: num(s.customer_peak_frustration),
          startValence: num(s.customer_start_valence),
          endValence: num(s.customer_end_valence),
          startFrustration: num(s.customer_start_frustration),
          endFrustration: num(s.customer_end_frustration),
          alerts: num(s.alerts),
          csat: num(s.customer_scored) === 1 ? num(s.csat_proxy) : null,
        }
      : null,
  };
}

/** Call-level measures over a set of summaries, shared by scorecards and trends. */
const CALL_MEASURES = `toUInt32(count()) AS calls,
  avgIf(customer_mean_frustration, customer_scored = 1) AS avg_frustration,
  avgIf(customer_end_frustration - customer_start_frustration, customer_scored = 1) AS frustration_change,
  toUInt32(sum(alerts)) AS alerts,
  avgIf(csat_proxy, customer_scored = 1) AS csat,
  toUInt64(sum(customer_talk_ms + agent_talk_ms)) AS talk_ms,
  avg(duration_ms) AS avg_duration_ms,
  toUInt32(countIf(customer_scored = 1)) AS scored_calls`;

function measures(r: Record<string, unknown> | undefined) {
  const scored = num(r?.scored_calls);
  const calls = num(r?.calls);
  // avgIf over no rows is NaN (nan in JSON output); a measure of no calls is null, not 0.
  const orNull = (v: unknown) => (scored > 0 && Number.isFinite(Number(v)) ? Number(v) : null);
  return {
    calls,
    avgCustomerFrustration: orNull(r?.avg_frustration),
    frustrationChange: orNull(r?.frustration_change),
    alerts: num(r?.alerts),
    csat: orNull(r?.csat),
    talkMs: num(r?.talk_ms),
    avgDurationMs: calls > 0 ? num(r?.avg_duration_ms) : null,
  };
}

export async function agentScorecard(ch: ClickHouse, tenantId: string, agentId: string, range: TimeRange) {
  const [row] = await ch.query<Record<string, unknown>>(
    `SELECT ${CALL_MEASURES} FROM call_summaries FINAL
     WHERE tenant_id = {tenant:String} AND agent_id = {agent:String} AND ${RANGE_SQL}`,
    { tenant: tenantId, agent: agentId, ...rangeParams(range) },
  );
  return { agentId, fromMs: range.fromMs, toMs: range.toMs, ...measures(row) };
}

export type Bucket = 'hour' | 'day';
const BUCKET_FN: Record<Bucket, string> = { hour: 'toStartOfHour', day: 'toStartOfDay' };

/** Per hour or day (in `tz`), for one queue or, when `queue` is undefined, the whole tenant. */
export async function trend(
  ch: ClickHouse,
  tenantId: string,
  range: TimeRange,
  bucket: Bucket,
  tz: string,
  queue?: string,
) {
  const rows = await ch.query<Record<string, unknown>>(
    `SELECT toUInt32(${BUCKET_FN[bucket]}(started_at, {tz:String})) AS bucket_s, ${CALL_MEASURES}
     FROM call_summaries FINAL
     WHERE tenant_id = {tenant:String} ${queue === undefined ? '' : 'AND queue = {queue:String}'} AND ${RANGE_SQL}
     GROUP BY bucket_s ORDER BY bucket_s`,
    { tenant: tenantId, tz, ...(queue === undefined ? {} : { queue }), ...rangeParams(range) },
  );
  return rows.map((r) => ({ startMs: num(r.bucket_s) * 1000, ...measures(r) }));
}

export type CallSort = 'recent' | 'frustration';

export interface CallSearch extends TimeRange {
  agentId?: string;
  queue?: string;
  minFrustration?: number;
  emotion?: Emotion;
  minEmotion?: number;
  sort: CallSort;
  limit: number;
  /** Keyset position: the sort key and call id of the last row of the previous page. */
  after?: { key: number; callId: string };
}

/** Sort key per order; the cursor carries its value as a Float64 so pages never skip or repeat. */
const SORTS: Record<CallSort, { key: string; order: string; after: string }> = {
  recent: {
    key: 'toFloat64(started_at_ms)',
    order: 'started_at_ms DESC, call_id DESC',
    after:
      '(toFloat64(started_at_ms) < {afterKey:Float64} OR (toFloat64(started_at_ms) = {afterKey:Float64} AND call_id < {afterId:String}))',
  },
  frustration: {
    key: 'toFloat64(customer_peak_frustration)',
    order: 'customer_peak_frustration DESC, call_id DESC',
    after:
      '(toFloat64(customer_peak_frustration) < {afterKey:Float64} OR (toFloat64(customer_peak_frustration) = {afterKey:Float64} AND call_id < {afterId:String}))',
  },
};

export async function searchCalls(ch: ClickHouse, tenantId: string, q: CallSearch) {
  const sort = SORTS[q.sort];
  const where = [`tenant_id = {tenant:String}`, RANGE_SQL];
  if (q.agentId !== undefined) where.push('agent_id = {agent:String}');
  if (q.queue !== undefined) where.push('queue = {queue:String}');
  if (q.minFrustration !== undefined) {
    where.push('customer_scored = 1 AND customer_peak_frustration >= {minFrustration:Float64}');
  }
  // The column name comes from the fixed EMOTIONS list (validated upstream), never from the request text.
  if (q.emotion !== undefined)
    where.push(`customer_scored = 1 AND customer_${q.emotion} >= {minEmotion:Float64}`);
  if (q.after) where.push(sort.after);
  const rows = await ch.query<Record<string, unknown>>(
    `SELECT call_id, agent_id, queue, customer_id, started_at_ms, ended_at_ms, duration_ms, customer_scored,
            customer_mean_frustration, customer_peak_frustration, alerts, csat_proxy, ${sort.key} AS sort_key
     FROM call_summaries FINAL
     WHERE ${where.join(' AND ')}
     ORDER BY ${sort.order}
     LIMIT {limit:UInt32}`,
    {
      tenant: tenantId,
      ...rangeParams(q),
      ...(q.agentId !== undefined ? { agent: q.agentId } : {}),
      ...(q.queue !== undefined ? { queue: q.queue } : {}),
      ...(q.minFrustration !== undefined ? { minFrustration: q.minFrustration } : {}),
      ...(q.emotion !== undefined ? { minEmotion: q.minEmotion ?? 0.3 } : {}),
      ...(q.after ? { afterKey: q.after.key, afterId: q.after.callId } : {}),
      limit: q.limit + 1,
    },
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    calls: page.map((r) => ({
      callId: r.call_id as string,
      agentId: (r.agent_id as string) || null,
      queue: (r.queue as string) || null,
      customerId: (r.customer_id as string) || null,
      startedAtMs: num(r.started_at_ms),
      endedAtMs: num(r.ended_at_ms),
      durationMs: num(r.duration_ms),
      meanFrustration: num(r.customer_scored) === 1 ? num(r.customer_mean_frustration) : null,
      peakFrustration: num(r.customer_scored) === 1 ? num(r.customer_peak_frustration) : null,
      alerts: num(r.alerts),
      csat: num(r.customer_scored) === 1 ? num(r.csat_proxy) : null,
    })),
    next:
      rows.length > q.limit && last ? { key: num(last.sort_key), callId: last.call_id as string } : undefined,
  };
}
