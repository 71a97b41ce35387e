CREATE DATABASE IF NOT EXISTS voicepulse ON CLUSTER voicepulse;

CREATE TABLE IF NOT EXISTS voicepulse.scores_local ON CLUSTER voicepulse (
  event_id String,
  tenant_id String,
  call_id String,
  agent_id String,
  queue String,
  speaker Enum8('customer' = 1, 'agent' = 2),
  produced_at_ms UInt64,
  produced_at DateTime MATERIALIZED toDateTime(intDiv(produced_at_ms, 1000)),
  window_start_ms UInt32,
  window_end_ms UInt32,
  angry Float32,
  disgust Float32,
  fear Float32,
  happy Float32,
  neutral Float32,
  sad Float32,
  valence Float32,
  arousal Float32,
  frustration Float32,
  speech_ratio Float32,
  model_version String,
  source String,
  source_offset UInt64,
  customer_id String,
  explain_emotion String,
  explain_start_ms Array(UInt32),
  explain_end_ms Array(UInt32),
  explain_weight Array(Float32)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/voicepulse/scores_local', '{replica}') PARTITION BY toDate(produced_at)
ORDER BY (tenant_id, call_id, speaker, window_start_ms, event_id);

CREATE TABLE IF NOT EXISTS voicepulse.scores ON CLUSTER voicepulse AS voicepulse.scores_local ENGINE = Distributed(voicepulse, voicepulse, scores_local, murmurHash2_32(concat(tenant_id, '/', call_id)));

CREATE TABLE IF NOT EXISTS voicepulse.alerts_local ON CLUSTER voicepulse (
  event_id String,
  tenant_id String,
  call_id String,
  agent_id String,
  queue String,
  produced_at_ms UInt64,
  produced_at DateTime MATERIALIZED toDateTime(intDiv(produced_at_ms, 1000)),
  rule String,
  speaker Enum8('customer' = 1, 'agent' = 2),
  severity Enum8('warning' = 1, 'critical' = 2),
  at_ms UInt32,
  value Float64,
  threshold Float64,
  message String,
  source String,
  source_offset UInt64,
  customer_id String
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/voicepulse/alerts_local', '{replica}') PARTITION BY toDate(produced_at)
ORDER BY (tenant_id, call_id, event_id);

CREATE TABLE IF NOT EXISTS voicepulse.alerts ON CLUSTER voicepulse AS voicepulse.alerts_local ENGINE = Distributed(voicepulse, voicepulse, alerts_local, murmurHash2_32(concat(tenant_id, '/', call_id)));

CREATE TABLE IF NOT EXISTS voicepulse.call_summaries_local ON CLUSTER voicepulse (
  event_id String,
  tenant_id String,
  call_id String,
  agent_id String,
  queue String,
  produced_at_ms UInt64,
  started_at_ms UInt64,
  started_at DateTime MATERIALIZED toDateTime(intDiv(started_at_ms, 1000)),
  ended_at_ms UInt64,
  duration_ms UInt32,
  overtalk_ms UInt32,
  customer_talk_ms UInt32,
  customer_silence_ms UInt32,
  agent_talk_ms UInt32,
  agent_silence_ms UInt32,
  customer_scored UInt8,
  customer_mean_frustration Float32,
  customer_peak_frustration Float32,
  customer_peak_frustration_at_ms UInt32,
  customer_start_valence Float32,
  customer_end_valence Float32,
  customer_start_frustration Float32,
  customer_end_frustration Float32,
  customer_angry Float32,
  customer_disgust Float32,
  customer_fear Float32,
  customer_happy Float32,
  customer_neutral Float32,
  customer_sad Float32,
  agent_scored UInt8,
  agent_mean_frustration Float32,
  agent_angry Float32,
  alerts UInt32,
  model_version String,
  csat_proxy Float32 MATERIALIZED if(customer_scored = 1,
    1 + 4 * least(greatest(
      0.6 * (((customer_end_valence + 1) / 2 + (1 - customer_end_frustration)) / 2)
      + 0.4 * ((((customer_end_valence - customer_start_valence) / 2
                 + (customer_start_frustration - customer_end_frustration)) / 2 + 1) / 2),
      0), 1),
    0),
  source String,
  source_offset UInt64,
  interrupted UInt8,
  customer_id String,
  hold_ms UInt32
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/voicepulse/call_summaries_local', '{replica}', produced_at_ms) PARTITION BY toYYYYMM(started_at)
ORDER BY (tenant_id, call_id);

CREATE TABLE IF NOT EXISTS voicepulse.call_summaries ON CLUSTER voicepulse AS voicepulse.call_summaries_local ENGINE = Distributed(voicepulse, voicepulse, call_summaries_local, murmurHash2_32(concat(tenant_id, '/', call_id)));

CREATE TABLE IF NOT EXISTS voicepulse.score_minutes_local ON CLUSTER voicepulse (
  minute DateTime,
  tenant_id String,
  queue String,
  agent_id String,
  speaker Enum8('customer' = 1, 'agent' = 2),
  windows AggregateFunction(count),
  calls AggregateFunction(uniq, String),
  angry_mean AggregateFunction(avg, Float32),
  disgust_mean AggregateFunction(avg, Float32),
  fear_mean AggregateFunction(avg, Float32),
  happy_mean AggregateFunction(avg, Float32),
  neutral_mean AggregateFunction(avg, Float32),
  sad_mean AggregateFunction(avg, Float32),
  valence_mean AggregateFunction(avg, Float32),
  frustration_mean AggregateFunction(avg, Float32),
  frustration_peak AggregateFunction(max, Float32)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/voicepulse/score_minutes_local', '{replica}') PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, queue, agent_id, speaker);

CREATE TABLE IF NOT EXISTS voicepulse.score_minutes ON CLUSTER voicepulse AS voicepulse.score_minutes_local ENGINE = Distributed(voicepulse, voicepulse, score_minutes_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS voicepulse.score_minutes_mv ON CLUSTER voicepulse TO voicepulse.score_minutes_local AS SELECT
  toStartOfMinute(toDateTime(intDiv(produced_at_ms, 1000))) AS minute,
  tenant_id, queue, agent_id, speaker,
  countState() AS windows,
  uniqState(call_id) AS calls,
  avgState(angry) AS angry_mean,
  avgState(disgust) AS disgust_mean,
  avgState(fear) AS fear_mean,
  avgState(happy) AS happy_mean,
  avgState(neutral) AS neutral_mean,
  avgState(sad) AS sad_mean,
  avgState(valence) AS valence_mean,
  avgState(frustration) AS frustration_mean,
  maxState(frustration) AS frustration_peak
FROM voicepulse.scores_local
GROUP BY minute, tenant_id, queue, agent_id, speaker;

CREATE TABLE IF NOT EXISTS voicepulse.call_minutes_local ON CLUSTER voicepulse (
  minute DateTime,
  tenant_id String,
  queue String,
  agent_id String,
  calls AggregateFunction(uniq, String),
  talk_ms_sum AggregateFunction(sum, UInt64),
  duration_ms_sum AggregateFunction(sum, UInt64),
  csat AggregateFunction(avgIf, Float32, UInt8)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/voicepulse/call_minutes_local', '{replica}') PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, queue, agent_id);

CREATE TABLE IF NOT EXISTS voicepulse.call_minutes ON CLUSTER voicepulse AS voicepulse.call_minutes_local ENGINE = Distributed(voicepulse, voicepulse, call_minutes_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS voicepulse.call_minutes_mv ON CLUSTER voicepulse TO voicepulse.call_minutes_local AS SELECT
  toStartOfMinute(toDateTime(intDiv(ended_at_ms, 1000))) AS minute,
  tenant_id, queue, agent_id,
  uniqState(call_id) AS calls,
  sumState(toUInt64(customer_talk_ms + agent_talk_ms)) AS talk_ms_sum,
  sumState(toUInt64(duration_ms)) AS duration_ms_sum,
  avgIfState(csat_proxy, customer_scored) AS csat
FROM voicepulse.call_summaries_local
GROUP BY minute, tenant_id, queue, agent_id;

CREATE TABLE IF NOT EXISTS voicepulse.alert_minutes_local ON CLUSTER voicepulse (
  minute DateTime,
  tenant_id String,
  queue String,
  agent_id String,
  alerts AggregateFunction(uniq, String),
  critical AggregateFunction(uniqIf, String, UInt8)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/voicepulse/alert_minutes_local', '{replica}') PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, queue, agent_id);

CREATE TABLE IF NOT EXISTS voicepulse.alert_minutes ON CLUSTER voicepulse AS voicepulse.alert_minutes_local ENGINE = Distributed(voicepulse, voicepulse, alert_minutes_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS voicepulse.alert_minutes_mv ON CLUSTER voicepulse TO voicepulse.alert_minutes_local AS SELECT
  toStartOfMinute(toDateTime(intDiv(produced_at_ms, 1000))) AS minute,
  tenant_id, queue, agent_id,
  uniqState(event_id) AS alerts,
  uniqIfState(event_id, severity = 'critical') AS critical
FROM voicepulse.alerts_local
GROUP BY minute, tenant_id, queue, agent_id;

CREATE TABLE IF NOT EXISTS voicepulse.sink_positions_local ON CLUSTER voicepulse (
  source String,
  stored_offset AggregateFunction(max, UInt64)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/voicepulse/sink_positions_local', '{replica}') ORDER BY source;

CREATE TABLE IF NOT EXISTS voicepulse.sink_positions ON CLUSTER voicepulse AS voicepulse.sink_positions_local ENGINE = Distributed(voicepulse, voicepulse, sink_positions_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS voicepulse.score_positions_mv ON CLUSTER voicepulse TO voicepulse.sink_positions_local AS SELECT source, maxState(source_offset) AS stored_offset FROM voicepulse.scores_local WHERE source != '' GROUP BY source;

CREATE MATERIALIZED VIEW IF NOT EXISTS voicepulse.alert_positions_mv ON CLUSTER voicepulse TO voicepulse.sink_positions_local AS SELECT source, maxState(source_offset) AS stored_offset FROM voicepulse.alerts_local WHERE source != '' GROUP BY source;

CREATE MATERIALIZED VIEW IF NOT EXISTS voicepulse.summary_positions_mv ON CLUSTER voicepulse TO voicepulse.sink_positions_local AS SELECT source, maxState(source_offset) AS stored_offset FROM voicepulse.call_summaries_local WHERE source != '' GROUP BY source;

CREATE TABLE IF NOT EXISTS voicepulse.alert_acks_local ON CLUSTER voicepulse (
  event_id String,
  tenant_id String,
  call_id String,
  agent_id String,
  queue String,
  customer_id String,
  produced_at_ms UInt64,
  produced_at DateTime MATERIALIZED toDateTime(intDiv(produced_at_ms, 1000)),
  alert_id String,
  acked_by String,
  source String,
  source_offset UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/voicepulse/alert_acks_local', '{replica}') PARTITION BY toDate(produced_at)
ORDER BY (tenant_id, alert_id, event_id);

CREATE TABLE IF NOT EXISTS voicepulse.alert_acks ON CLUSTER voicepulse AS voicepulse.alert_acks_local ENGINE = Distributed(voicepulse, voicepulse, alert_acks_local, murmurHash2_32(concat(tenant_id, '/', call_id)));

CREATE MATERIALIZED VIEW IF NOT EXISTS voicepulse.ack_positions_mv ON CLUSTER voicepulse TO voicepulse.sink_positions_local AS SELECT source, maxState(source_offset) AS stored_offset FROM voicepulse.alert_acks_local WHERE source != '' GROUP BY source;
