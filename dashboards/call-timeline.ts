// One call's timeline: both speakers' frustration, the customer's emotion mix, what drove each of the
// customer's windows (the strongest segment of its explanation) and the call's alerts.
// The other dashboards link here from every call id.

import { StackingConfigBuilder, StackingMode } from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  DashboardBuilder,
  QueryVariableBuilder,
  TextBoxVariableBuilder,
  VariableRefresh,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { EMOTIONS } from '../core/emotions.ts';
import { TAG, UID, VARIABLE_SQL } from './common.ts';
import { CLICKHOUSE, seriesQuery, tableQuery } from './datasources.ts';
import { withEmotionColors } from './palette.ts';

const CALL = `tenant_id = \${tenant:singlequote} AND call_id = \${call_id:singlequote}`;
/** Windows are scored several times a second; the panels show one point per second. */
const SECOND = 'toDateTime(intDiv(produced_at_ms, 1000))';

export function callTimeline(): Dashboard {
  const emotionMix = EMOTIONS.map((e) => `avg(${e}) AS ${e}`).join(', ');
  return new DashboardBuilder('VoicePulse / Call timeline')
    .uid(UID.callTimeline)
    .description('Emotion and frustration of both speakers through one call.')
    .tags([TAG])
    .timezone('browser')
    .time({ from: 'now-24h', to: 'now' })
    .withVariable(
      new QueryVariableBuilder('tenant')
        .label('Tenant')
        .datasource(CLICKHOUSE)
        .query(VARIABLE_SQL.tenant)
        .definition(VARIABLE_SQL.tenant)
        .refresh(VariableRefresh.OnDashboardLoad),
    )
    .withVariable(new TextBoxVariableBuilder('call_id').label('Call id'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Frustration by speaker')
        .unit('percentunit')
        .min(0)
        .max(1)
        .height(9)
        .span(24)
        .withTarget(
          seriesQuery(
            `SELECT ${SECOND} AS time, speaker, avg(frustration) AS frustration FROM scores WHERE ${CALL} GROUP BY time, speaker ORDER BY time, speaker`,
            ['time', 'speaker', 'frustration'],
          ),
        ),
    )
    .withPanel(
      withEmotionColors(
        new TimeSeriesPanel()
          .title('Customer emotion mix')
          .unit('percentunit')
          .fillOpacity(60)
          .stacking(new StackingConfigBuilder().mode(StackingMode.Percent))
          .height(9)
          .span(24)
          .withTarget(
            seriesQuery(
              `SELECT ${SECOND} AS time, ${emotionMix} FROM scores WHERE ${CALL} AND speaker = 'customer' GROUP BY time ORDER BY time`,
              ['time', ...EMOTIONS],
            ),
          ),
      ),
    )
    .withPanel(
      new TablePanel()
        .title('What drove the customer’s scores (strongest segment of each window)')
        .description(
          'Per explained customer window: the emotion it scored highest, and the ~200 ms segment that raised that emotion most (weight: how much lower the emotion would score without it).',
        )
        .height(8)
        .span(24)
        .withTarget(
          tableQuery(
            `SELECT ${SECOND} AS time, window_start_ms / 1000 AS window_s, explain_emotion AS emotion, arrayElement(explain_start_ms, indexOf(explain_weight, arrayReduce('max', explain_weight))) / 1000 AS segment_s, arrayReduce('max', explain_weight) AS weight FROM scores FINAL WHERE ${CALL} AND speaker = 'customer' AND explain_emotion != '' ORDER BY window_start_ms`,
            ['time', 'window_s', 'emotion', 'segment_s', 'weight'],
          ),
        ),
    )
    .withPanel(
      new TablePanel()
        .title('Alerts on this call')
        .height(7)
        .span(24)
        .withTarget(
          tableQuery(
            `SELECT toDateTime(intDiv(produced_at_ms, 1000)) AS time, at_ms / 1000 AS at_s, severity, rule, speaker, value, threshold, message FROM alerts FINAL WHERE ${CALL} ORDER BY at_ms`,
            ['time', 'at_s', 'severity', 'rule', 'speaker', 'value', 'threshold', 'message'],
          ),
        ),
    )
    .build();
}
