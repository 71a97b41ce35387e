// Agent performance: scorecards, how customers' state changed on each agent's calls, alerts per
// hour and a leaderboard. It reads the customers' side only, so it works for tenants whose policy
// forbids scoring agents' emotions.
import { PanelBuilder as BarChartPanel } from '@grafana/grafana-foundation-sdk/barchart';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  BarGaugeDisplayMode,
  ReduceDataOptionsBuilder,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { FILTER, UID, voicePulseDashboard } from './common.ts';
import { seriesQuery, tableQuery } from './datasources.ts';

const SCORED = 'customer_scored = 1';

export function agentPerformance(): Dashboard {
  return voicePulseDashboard(
    UID.agentPerformance,
    'VoicePulse / Agent performance',
    "Per-agent outcomes measured on the customers' side of their calls.",
  )
    .time({ from: 'now-7d', to: 'now' })
    .withPanel(
      new TablePanel()
        .title('Agent scorecards')
        .height(10)
        .span(24)
        .overrideByName('agent_talk_share', [{ id: 'unit', value: 'percentunit' }])
        .withTarget(
          tableQuery(
            `SELECT agent_id, count() AS calls, avgIf(csat_proxy, ${SCORED}) AS csat, avgIf(customer_start_frustration, ${SCORED}) AS frustration_start, avgIf(customer_end_frustration, ${SCORED}) AS frustration_end, avg(duration_ms) / 1000 AS mean_duration_s, sum(agent_talk_ms) / greatest(sum(agent_talk_ms + customer_talk_ms), 1) AS agent_talk_share, sum(alerts) AS alerts FROM call_summaries FINAL WHERE $__timeFilter(started_at) AND ${FILTER} AND agent_id != '' GROUP BY agent_id ORDER BY csat DESC`,
            [
              'agent_id',
              'calls',
              'csat',
              'frustration_start',
              'frustration_end',
              'mean_duration_s',
              'agent_talk_share',
              'alerts',
            ],
          ),
        ),
    )
    .withPanel(
      new BarChartPanel()
        .title("Customers' change during each agent's calls")
        .description(
          'Mean change from the first to the last scored minute: frustration down and valence up is good',
        )
        .orientation(VizOrientation.Horizontal)
        .xField('agent_id')
        .height(10)
        .span(12)
        .withTarget(
          tableQuery(
            `SELECT agent_id, avgIf(customer_end_frustration - customer_start_frustration, ${SCORED}) AS frustration_change, avgIf(customer_end_valence - customer_start_valence, ${SCORED}) AS valence_change FROM call_summaries FINAL WHERE $__timeFilter(started_at) AND ${FILTER} AND agent_id != '' GROUP BY agent_id ORDER BY agent_id`,
            ['agent_id', 'frustration_change', 'valence_change'],
          ),
        ),
    )
    .withPanel(
      new BarGaugePanel()
        .title('Leaderboard (CSAT proxy)')
        .displayMode(BarGaugeDisplayMode.Gradient)
        .orientation(VizOrientation.Horizontal)
        .reduceOptions(new ReduceDataOptionsBuilder().values(true).calcs([]).fields('/^csat$/'))
        .min(1)
        .max(5)
        .decimals(2)
        .height(10)
        .span(12)
        .withTarget(
          tableQuery(
            `SELECT agent_id, avgIfMerge(csat) AS csat FROM call_minutes WHERE $__timeFilter(minute) AND ${FILTER} AND agent_id != '' GROUP BY agent_id ORDER BY csat DESC LIMIT 10`,
            ['agent_id', 'csat'],
          ),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Alerts per hour by agent')
        .height(9)
        .span(24)
        .withTarget(
          seriesQuery(
            `SELECT toStartOfHour(minute) AS time, agent_id, uniqMerge(alerts) AS alerts FROM alert_minutes WHERE $__timeFilter(minute) AND ${FILTER} GROUP BY time, agent_id ORDER BY time, agent_id`,
            ['time', 'agent_id', 'alerts'],
          ),
        ),
    )
    .build();
}
