// Live operations: what is happening on the floor now (active calls, who is frustrated, alerts).
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { bucket, CALL_TIMELINE_LINK, FILTER, UID, voicePulseDashboard } from './common.ts';
import { seriesQuery, tableQuery } from './datasources.ts';

/** A call is live while it was scored in the last two minutes and has no summary yet. */
const LIVE_WINDOW = 'produced_at >= $__toTime - 120 AND produced_at <= $__toTime';
const ENDED = `call_id NOT IN (SELECT call_id FROM call_summaries WHERE tenant_id = \${tenant:singlequote} AND $__timeFilter(started_at))`;

const callLink = [{ id: 'links', value: [{ title: 'Call timeline', url: CALL_TIMELINE_LINK }] }];

/** One measure of the customer's scored windows per minute and queue. */
const perQueue = (measure: string, alias: string) =>
  seriesQuery(
    `SELECT ${bucket('minute')} AS time, queue, ${measure} AS ${alias} FROM score_minutes WHERE $__timeFilter(minute) AND ${FILTER} AND speaker = 'customer' GROUP BY time, queue ORDER BY time, queue`,
    ['time', 'queue', alias],
  );

export function liveOperations(): Dashboard {
  return voicePulseDashboard(
    UID.liveOperations,
    'VoicePulse / Live operations',
    'Calls in progress, customer frustration by queue and the alert feed.',
  )
    .refresh('5s')
    .time({ from: 'now-1h', to: 'now' })
    .withPanel(
      new StatPanel()
        .title('Active calls')
        .description('Calls scored in the last 2 minutes that have not ended')
        .height(5)
        .span(6)
        .withTarget(
          tableQuery(
            `SELECT uniqExact(call_id) AS active_calls FROM scores WHERE ${FILTER} AND ${LIVE_WINDOW} AND ${ENDED}`,
            ['active_calls'],
          ),
        ),
    )
    .withPanel(
      new StatPanel()
        .title('Alerts')
        .description('Alerts in the time range; critical ones separately')
        .height(5)
        .span(6)
        .withTarget(
          tableQuery(
            `SELECT uniqMerge(alerts) AS alerts, uniqIfMerge(critical) AS critical FROM alert_minutes WHERE $__timeFilter(minute) AND ${FILTER}`,
            ['alerts', 'critical'],
          ),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Calls in progress by queue')
        .height(5)
        .span(12)
        .withTarget(perQueue('uniqMerge(calls)', 'calls')),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Customer frustration by queue')
        .description('Mean customer frustration (0 calm … 1 frustrated) per queue')
        .unit('percentunit')
        .min(0)
        .max(1)
        .height(9)
        .span(12)
        .withTarget(perQueue('avgMerge(frustration_mean)', 'frustration')),
    )
    .withPanel(
      new TablePanel()
        .title('Most frustrated live calls')
        .description("Each live call's latest customer frustration; click a call for its timeline")
        .height(9)
        .span(12)
        .overrideByName('call_id', callLink)
        .overrideByName('frustration', [{ id: 'unit', value: 'percentunit' }])
        .withTarget(
          tableQuery(
            `SELECT call_id, queue, agent_id, argMax(frustration, produced_at_ms) AS frustration, max(produced_at) AS last_scored FROM scores WHERE ${FILTER} AND speaker = 'customer' AND ${LIVE_WINDOW} AND ${ENDED} GROUP BY call_id, queue, agent_id ORDER BY frustration DESC LIMIT 20`,
            ['call_id', 'queue', 'agent_id', 'frustration', 'last_scored'],
          ),
        ),
    )
    .withPanel(
      new TablePanel()
        .title('Alert feed')
        .description('Newest first; click a call for its timeline')
        .height(10)
        .span(24)
        .overrideByName('call_id', callLink)
        .withTarget(
          tableQuery(
            `SELECT toDateTime(intDiv(produced_at_ms, 1000)) AS time, severity, rule, queue, agent_id, call_id, message FROM alerts FINAL WHERE $__timeFilter(produced_at) AND ${FILTER} ORDER BY produced_at_ms DESC LIMIT 100`,
            ['time', 'severity', 'rule', 'queue', 'agent_id', 'call_id', 'message'],
          ),
        ),
    )
    .build();
}
