-- Raw events, one table per event type. Written only by the sink; the SAME SQL runs on the Debian
-- ClickHouse 18.16 server and on chdb, so it stays within 18.16: no TTL (retention drops day
-- partitions instead), no LowCardinality, no DateTime64 (milliseconds live in UInt64 columns), and
-- time columns are MATERIALIZED from the millisecond fields (18.16 JSONEachRow ignores DEFAULTs).
--
-- Replays never duplicate: every table is a ReplacingMergeTree whose sorting key ends in the
-- event's deterministic id and whose partition is a function of the event, so a redelivered event
-- collapses with its first copy; queries read with FINAL until a background merge has done so.

CREATE TABLE IF NOT EXISTS scores (
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
  model_version String
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(produced_at)
ORDER BY (tenant_id, call_id, speaker, window_start_ms, event_id);

CREATE TABLE IF NOT EXISTS alerts (
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
  message String
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(produced_at)
ORDER BY (tenant_id, call_id, event_id);

-- One row per call (a corrected summary for the same call replaces the older one: the version
-- column is produced_at_ms). csat_proxy is the customer-satisfaction proxy, 1 (unhappy) … 5:
--   level  = ((end_valence + 1) / 2 + (1 - end_frustration)) / 2          0 … 1, how the call ended
--   change = ((end_valence - start_valence) / 2 + (start_frustration - end_frustration)) / 2   -1 … 1
--   csat   = 1 + 4 * clamp(0.6 * level + 0.4 * (change + 1) / 2, 0, 1)
-- "start"/"end" are the customer's first and last scored minute (see core/events/schema.ts). It is
-- 0 when the customer was not scored (customer_scored = 0); queries average it with avgIf.
CREATE TABLE IF NOT EXISTS call_summaries (
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
    0)
) ENGINE = ReplacingMergeTree(produced_at_ms)
PARTITION BY toYYYYMM(started_at)
ORDER BY (tenant_id, call_id);
