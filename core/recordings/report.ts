// What `analyze` reports per recording (the --json object, a --csv row, a line of the summary table):
// the call, its duration, each speaker's emotion mix with valence and frustration from start to end,
// the alerts and the CSAT proxy, or why the recording was skipped or failed.
import { EMOTIONS } from '../emotions.ts';
import type { CallSummaryEvent, SpeakerRole } from '../events/schema.ts';
import type { RecordingMeta } from './metadata.ts';

export type RecordingStatus = 'analysed' | 'skipped' | 'failed';

export interface SpeakerReport {
  mix: Record<(typeof EMOTIONS)[number], number>;
  valence: { start: number; end: number };
  frustration: { start: number; end: number; mean: number; peak: number };
  windows: number;
}

export interface RecordingReport {
  file: string;
  status: RecordingStatus;
  /** Why skipped or failed (one line). */
  reason: string | null;
  callId: string | null;
  tenant: string | null;
  agentId: string | null;
  queue: string | null;
  startedAt: string | null;
  /** Metadata fields that took their default (callId from the content hash, tenant, start = file time). */
  assumed: string[];
  durationS: number | null;
  /** The speakers the recording holds (stereo: both; mono: one). */
  speakers: SpeakerRole[];
  /** Per speaker; the agent's is null unless the tenant's policy allows agent emotion scoring. */
  emotion: Record<SpeakerRole, SpeakerReport | null>;
  alerts: number | null;
  csat: number | null;
}

/**
 * The CSAT proxy (1 unhappy … 5) of a summary, null when the customer was not scored: the formula of
 * call_summaries.csat_proxy (deploy/clickhouse/migrations/001_events.sql), for output that does not
 * read the store; store.test.ts checks the two agree.
 */
export function csatProxy(summary: CallSummaryEvent): number | null {
  const e = summary.customer.emotion;
  if (!e) return null;
  const level = ((e.endValence + 1) / 2 + (1 - e.endFrustration)) / 2;
  const change = ((e.endValence - e.startValence) / 2 + (e.startFrustration - e.endFrustration)) / 2;
  return 1 + 4 * Math.min(Math.max(0.6 * level + 0.4 * ((change + 1) / 2), 0), 1);
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

function speakerReport(side: CallSummaryEvent['customer']): SpeakerReport | null {
  const e = side.emotion;
  if (!e) return null;
  return {
    mix: Object.fromEntries(EMOTIONS.map((k) => [k, round(e.emotionMix[k])])) as SpeakerReport['mix'],
    valence: { start: round(e.startValence), end: round(e.endValence) },
    frustration: {
      start: round(e.startFrustration),
      end: round(e.endFrustration),
      mean: round(e.meanFrustration),
      peak: round(e.peakFrustration),
    },
    windows: e.scoredWindows,
  };
}

const base = (file: string, meta: RecordingMeta | undefined) => ({
  file,
  callId: meta?.callId ?? null,
  tenant: meta?.tenantId ?? null,
  agentId: meta?.agentId ?? null,
  queue: meta?.queue ?? null,
  startedAt: meta ? new Date(meta.startedAtMs).toISOString() : null,
  assumed: meta?.assumed ?? [],
});

export function analysedReport(
  file: string,
  meta: RecordingMeta,
  summary: CallSummaryEvent,
  speakers: SpeakerRole[],
): RecordingReport {
  const csat = csatProxy(summary);
  return {
    ...base(file, meta),
    status: 'analysed',
    reason: null,
    durationS: summary.durationMs / 1000,
    speakers,
    emotion: { customer: speakerReport(summary.customer), agent: speakerReport(summary.agent) },
    alerts: summary.alerts,
    csat: csat === null ? null : round(csat),
  };
}

export function otherReport(
  file: string,
  status: Exclude<RecordingStatus, 'analysed'>,
  reason: string,
  meta?: RecordingMeta,
): RecordingReport {
  return {
    ...base(file, meta),
    status,
    reason,
    durationS: null,
    speakers: [],
    emotion: { customer: null, agent: null },
    alerts: null,
    csat: null,
  };
}

const SPEAKER_COLUMNS = (role: SpeakerRole) => [
  ...EMOTIONS.map((e) => `${role}_${e}`),
  `${role}_valence_start`,
  `${role}_valence_end`,
  `${role}_frustration_start`,
  `${role}_frustration_end`,
  `${role}_frustration_mean`,
  `${role}_frustration_peak`,
  `${role}_windows`,
];

/** Columns of `analyze --csv`: the report flattened; empty cells for what is null. */
export const REPORT_CSV_COLUMNS: readonly string[] = [
  'file',
  'status',
  'reason',
  'callId',
  'tenant',
  'agentId',
  'queue',
  'startedAt',
  'assumed',
  'durationS',
  'speakers',
  'alerts',
  'csat',
  ...SPEAKER_COLUMNS('customer'),
  ...SPEAKER_COLUMNS('agent'),
];

const speakerCells = (s: SpeakerReport | null) =>
  s
    ? [
        ...EMOTIONS.map((e) => s.mix[e]),
        s.valence.start,
        s.valence.end,
        s.frustration.start,
        s.frustration.end,
        s.frustration.mean,
        s.frustration.peak,
        s.windows,
      ]
    : SPEAKER_COLUMNS('customer').map(() => null);

/** One CSV row (REPORT_CSV_COLUMNS order) of a report; lists are joined with `;`. */
export function reportCsvRow(r: RecordingReport): (string | number | null)[] {
  return [
    r.file,
    r.status,
    r.reason,
    r.callId,
    r.tenant,
    r.agentId,
    r.queue,
    r.startedAt,
    r.assumed.join(';'),
    r.durationS,
    r.speakers.join(';'),
    r.alerts,
    r.csat,
    ...speakerCells(r.emotion.customer),
    ...speakerCells(r.emotion.agent),
  ];
}
