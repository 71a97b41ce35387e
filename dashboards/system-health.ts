// System health: throughput from ClickHouse (what reached storage) and, from Prometheus, what only
// the running services know: scoring latency, Kafka consumer lag, sink rates, calls in progress,
// restarts.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as PromQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { bucket, bucketSeconds, FILTER, UID, voicePulseDashboard } from './common.ts';
import { PROMETHEUS, seriesQuery, tableQuery } from './datasources.ts';

const prom = (expr: string, legend: string) =>
  new PromQuery().datasource(PROMETHEUS).expr(expr).legendFormat(legend);

export function systemHealth(): Dashboard {
  return voicePulseDashboard(
    UID.systemHealth,
    'VoicePulse / System health',
    'Calls and scored windows stored (ClickHouse); latency, Kafka lag and restarts (Prometheus).',
  )
    .time({ from: 'now-6h', to: 'now' })
    .withPanel(
      new TimeSeriesPanel()
        .title('Calls ended')
        .height(8)
        .span(12)
        .withTarget(
          seriesQuery(
            `SELECT ${bucket('minute')} AS time, uniqMerge(calls) AS calls FROM call_minutes WHERE $__timeFilter(minute) AND ${FILTER} GROUP BY time ORDER BY time`,
            ['time', 'calls'],
          ),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Scored windows per second')
        .unit('reqps')
        .height(8)
        .span(12)
        .withTarget(
          seriesQuery(
            `SELECT ${bucket('minute')} AS time, speaker, countMerge(windows) / ${bucketSeconds()} AS windows_per_s FROM score_minutes WHERE $__timeFilter(minute) AND ${FILTER} GROUP BY time, speaker ORDER BY time, speaker`,
            ['time', 'speaker', 'windows_per_s'],
          ),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Window scoring latency (Prometheus)')
        .description("From a window's last sample arriving to its score leaving the worker")
        .unit('s')
        .height(8)
        .span(12)
        .withTarget(
          prom(
            'histogram_quantile(0.5, sum by (le) (rate(voicepulse_window_latency_seconds_bucket[$__rate_interval])))',
            'p50',
          ).refId('A'),
        )
        .withTarget(
          prom(
            'histogram_quantile(0.95, sum by (le) (rate(voicepulse_window_latency_seconds_bucket[$__rate_interval])))',
            'p95',
          ).refId('B'),
        )
        .withTarget(
          prom(
            'histogram_quantile(0.99, sum by (le) (rate(voicepulse_window_latency_seconds_bucket[$__rate_interval])))',
            'p99',
          ).refId('C'),
        ),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Kafka consumer lag (Prometheus)')
        .description('Messages not yet consumed, per consumer group (kafka-exporter)')
        .height(8)
        .span(12)
        .withTarget(prom('sum by (consumergroup) (kafka_consumergroup_lag)', '{{consumergroup}}')),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Sink: rows stored and redeliveries skipped per second (Prometheus)')
        .description(
          'Rows the ClickHouse sinks inserted; skipped = redelivered events already stored (after a restart or rebalance); dead letters = messages that were not valid events',
        )
        .unit('reqps')
        .height(8)
        .span(12)
        .withTarget(
          prom(
            'sum by (table) (rate(voicepulse_sink_rows_stored_total[$__rate_interval]))',
            'stored {{table}}',
          ),
        )
        .withTarget(prom('sum(rate(voicepulse_sink_rows_skipped_total[$__rate_interval]))', 'skipped'))
        .withTarget(prom('sum(rate(voicepulse_sink_dead_letters_total[$__rate_interval]))', 'dead letters')),
    )
    .withPanel(
      new StatPanel()
        .title('Calls in progress (Prometheus)')
        .height(5)
        .span(6)
        .withTarget(prom('sum(voicepulse_active_calls)', 'calls')),
    )
    .withPanel(
      new StatPanel()
        .title('Scoring thread restarts (Prometheus)')
        .height(5)
        .span(6)
        .withTarget(prom('sum(increase(voicepulse_worker_restarts_total[$__range]))', 'restarts')),
    )
    .withPanel(
      new TablePanel()
        .title('Model versions')
        .description('Which model scored the windows in the time range')
        .height(5)
        .span(12)
        .withTarget(
          tableQuery(
            `SELECT model_version, count() AS windows, uniqExact(call_id) AS calls, min(produced_at) AS first_seen, max(produced_at) AS last_seen FROM scores WHERE $__timeFilter(produced_at) AND ${FILTER} GROUP BY model_version ORDER BY last_seen DESC`,
            ['model_version', 'windows', 'calls', 'first_seen', 'last_seen'],
          ),
        ),
    )
    .build();
}
