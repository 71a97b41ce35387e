// Event → ClickHouse row, one function per raw table (column names as in
// deploy/clickhouse/migrations/001_events.sql). Nullable ids become '' so they can sit in sorting keys.
import { EMOTIONS } from '../../core/emotions.ts';
import type {
  AlertEvent,
  CallSummaryEvent,
  EventType,
  ScoreEvent,
  VoicePulseEvent,
} from '../../core/events/schema.ts';

type Row = Record<string, string | number>;

export const TABLES: Readonly<Record<EventType, string>> = {
  score: 'scores',
  alert: 'alerts',
  call_summary: 'call_summaries',
};

function envelope(e: VoicePulseEvent): Row {
  return {
    event_id: e.eventId,
    tenant_id: e.tenantId,
    call_id: e.callId,
    agent_id: e.agentId ?? '',
    queue: e.queue ?? '',
    produced_at_ms: e.producedAtMs,
  };
}

export function scoreRow(e: ScoreEvent): Row {
  // One literal with every column (no spread, no added keys): this runs per score row on the
  // sink's hot path, and a fixed-shape object serialises several times faster.
  return {
    event_id: e.eventId,
    tenant_id: e.tenantId,
    call_id: e.callId,
    agent_id: e.agentId ?? '',
    queue: e.queue ?? '',
    produced_at_ms: e.producedAtMs,
    speaker: e.speaker,
    window_start_ms: e.windowStartMs,
    window_end_ms: e.windowEndMs,
    angry: e.probs.angry,
    disgust: e.probs.disgust,
    fear: e.probs.fear,
    happy: e.probs.happy,
    neutral: e.probs.neutral,
    sad: e.probs.sad,
    valence: e.valence,
    arousal: e.arousal,
    frustration: e.frustration,
    speech_ratio: e.speechRatio,
    model_version: e.modelVersion,
  };
}

export function alertRow(e: AlertEvent): Row {
  return {
    ...envelope(e),
    rule: e.rule,
    speaker: e.speaker,
    severity: e.severity,
    at_ms: e.atMs,
    value: e.value,
    threshold: e.threshold,
    message: e.message,
  };
}

export function summaryRow(e: CallSummaryEvent): Row {
  const c = e.customer.emotion;
  const row: Row = {
    ...envelope(e),
    started_at_ms: e.startedAtMs,
    ended_at_ms: e.endedAtMs,
    duration_ms: e.durationMs,
    overtalk_ms: e.overtalkMs,
    customer_talk_ms: e.customer.talk.talkMs,
    customer_silence_ms: e.customer.talk.silenceMs,
    agent_talk_ms: e.agent.talk.talkMs,
    agent_silence_ms: e.agent.talk.silenceMs,
    customer_scored: c ? 1 : 0,
    customer_mean_frustration: c?.meanFrustration ?? 0,
    customer_peak_frustration: c?.peakFrustration ?? 0,
    customer_peak_frustration_at_ms: c?.peakFrustrationAtMs ?? 0,
    customer_start_valence: c?.startValence ?? 0,
    customer_end_valence: c?.endValence ?? 0,
    customer_start_frustration: c?.startFrustration ?? 0,
    customer_end_frustration: c?.endFrustration ?? 0,
    agent_scored: e.agent.emotion ? 1 : 0,
    agent_mean_frustration: e.agent.emotion?.meanFrustration ?? 0,
    agent_angry: e.agent.emotion?.emotionMix.angry ?? 0,
    alerts: e.alerts,
    model_version: e.modelVersion,
  };
  for (const emotion of EMOTIONS) row[`customer_${emotion}`] = c?.emotionMix[emotion] ?? 0;
  return row;
}

/** Rows per table for a batch of events. */
export function rowsByTable(events: readonly VoicePulseEvent[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  const add = (table: string, row: Row) => {
    const rows = out.get(table) ?? [];
    out.set(table, rows);
    rows.push(row);
  };
  for (const e of events) {
    if (e.type === 'score') add(TABLES.score, scoreRow(e));
    else if (e.type === 'alert') add(TABLES.alert, alertRow(e));
    else add(TABLES.call_summary, summaryRow(e));
  }
  return out;
}
