// Customer satisfaction: the CSAT proxy over time and by queue, the customers' emotion mix, and the
// worst calls (links to their timelines). The CSAT proxy is defined in 001_events.sql.

import { PanelBuilder as BarChartPanel } from '@grafana/grafana-foundation-sdk/barchart';
import { StackingConfigBuilder, StackingMode, VizOrientation } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { EMOTIONS } from '../core/emotions.ts';
import { bucket, CALL_TIMELINE_LINK, FILTER, UID, voicePulseDashboard } from './common.ts';
import { seriesQuery, tableQuery } from './datasources.ts';
import { withEmotionColors } from './palette.ts';

export function customerSatisfaction(): Dashboard {
  const emotionMix = EMOTIONS.map((e) => `avgMerge(${e}_mean) AS ${e}`).join(', ');
  return voicePulseDashboard(
    UID.customerSatisfaction,
    'VoicePulse / Customer satisfaction',
    'CSAT proxy (1 unhappy … 5) from how customers sounded at the end of their calls and how that changed.',
  )
    .time({ from: 'now-7d', to: 'now' })
    .withPanel(
      new StatPanel()
        .title('CSAT proxy')
        .description('Mean over calls whose customer was scored')
        .decimals(2)
        .min(1)
        .max(5)
        .height(5)
        .span(6)
        .withTarget(
          tableQuery(
            `SELECT avgIfMerge(csat) AS csat, uniqMerge(calls) AS calls FROM call_minutes WHERE $__timeFilter(minute) AND ${FILTER}`,
            ['csat', 'calls'],
          ),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('CSAT proxy trend')
        .min(1)
        .max(5)
        .height(5)
        .span(18)
        .withTarget(
          seriesQuery(
            `SELECT ${bucket('minute', 300)} AS time, avgIfMerge(csat) AS csat FROM call_minutes WHERE $__timeFilter(minute) AND ${FILTER} GROUP BY time ORDER BY time`,
            ['time', 'csat'],
          ),
        ),
    )
    .withPanel(
      withEmotionColors(
        new TimeSeriesPanel()
          .title('Customer emotion mix over time')
          .description('Mean probability of each emotion in customer speech, stacked to 100 %')
          .unit('percentunit')
          .fillOpacity(60)
          .stacking(new StackingConfigBuilder().mode(StackingMode.Percent))
          .height(9)
          .span(16)
          .withTarget(
            seriesQuery(
              `SELECT ${bucket('minute', 300)} AS time, ${emotionMix} FROM score_minutes WHERE $__timeFilter(minute) AND ${FILTER} AND speaker = 'customer' GROUP BY time ORDER BY time`,
              ['time', ...EMOTIONS],
            ),
          ),
      ),
    )
    .withPanel(
      new BarChartPanel()
        .title('CSAT proxy by queue')
        .orientation(VizOrientation.Horizontal)
        .xField('queue')
        .min(1)
        .max(5)
        .height(9)
        .span(8)
        .withTarget(
          tableQuery(
            `SELECT queue, avgIfMerge(csat) AS csat FROM call_minutes WHERE $__timeFilter(minute) AND ${FILTER} GROUP BY queue ORDER BY csat`,
            ['queue', 'csat'],
          ),
        ),
    )
    .withPanel(
      new TablePanel()
        .title('Worst calls')
        .description('Lowest CSAT proxy first; click a call for its timeline')
        .height(10)
        .span(24)
        .overrideByName('call_id', [
          { id: 'links', value: [{ title: 'Call timeline', url: CALL_TIMELINE_LINK }] },
        ])
        .overrideByName('peak_frustration', [{ id: 'unit', value: 'percentunit' }])
        .withTarget(
          tableQuery(
            `SELECT call_id, started_at AS started, queue, agent_id, duration_ms / 1000 AS duration_s, csat_proxy, customer_peak_frustration AS peak_frustration, alerts FROM call_summaries FINAL WHERE $__timeFilter(started_at) AND ${FILTER} AND customer_scored = 1 ORDER BY csat_proxy ASC LIMIT 25`,
            [
              'call_id',
              'started',
              'queue',
              'agent_id',
              'duration_s',
              'csat_proxy',
              'peak_frustration',
              'alerts',
            ],
          ),
        ),
    )
    .build();
}
