-- Per-minute aggregates per tenant × queue × agent, filled by materialized views as the sink
-- inserts (dashboards read these instead of raw scores). 18.16 has no SimpleAggregateFunction, so
-- they are AggregatingMergeTree tables read with the -Merge combinators.
--
-- Replays: the sink never inserts an event twice (bus positions, migration 003), so means, peaks and
-- sums count each event once; counts of calls and alerts also use uniq over ids.

CREATE TABLE IF NOT EXISTS score_minutes (
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
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, queue, agent_id, speaker);

CREATE MATERIALIZED VIEW IF NOT EXISTS score_minutes_mv TO score_minutes AS
SELECT
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
FROM scores
GROUP BY minute, tenant_id, queue, agent_id, speaker;

CREATE TABLE IF NOT EXISTS call_minutes (
  minute DateTime,
  tenant_id String,
  queue String,
  agent_id String,
  calls AggregateFunction(uniq, String),
  talk_ms_sum AggregateFunction(sum, UInt64),
  duration_ms_sum AggregateFunction(sum, UInt64),
  csat AggregateFunction(avgIf, Float32, UInt8)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, queue, agent_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS call_minutes_mv TO call_minutes AS
SELECT
  toStartOfMinute(toDateTime(intDiv(ended_at_ms, 1000))) AS minute,
  tenant_id, queue, agent_id,
  uniqState(call_id) AS calls,
  sumState(toUInt64(customer_talk_ms + agent_talk_ms)) AS talk_ms_sum,
  sumState(toUInt64(duration_ms)) AS duration_ms_sum,
  avgIfState(csat_proxy, customer_scored) AS csat
FROM call_summaries
GROUP BY minute, tenant_id, queue, agent_id;

CREATE TABLE IF NOT EXISTS alert_minutes (
  minute DateTime,
  tenant_id String,
  queue String,
  agent_id String,
  alerts AggregateFunction(uniq, String),
  critical AggregateFunction(uniqIf, String, UInt8)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, queue, agent_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS alert_minutes_mv TO alert_minutes AS
SELECT
  toStartOfMinute(toDateTime(intDiv(produced_at_ms, 1000))) AS minute,
  tenant_id, queue, agent_id,
  uniqState(event_id) AS alerts,
  uniqIfState(event_id, severity = 'critical') AS critical
FROM alerts
GROUP BY minute, tenant_id, queue, agent_id;
