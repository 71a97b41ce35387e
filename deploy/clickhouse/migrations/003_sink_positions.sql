-- Exactly-once aggregates. A sink that dies after ClickHouse stored a batch but before Kafka
-- committed its offset gets that batch again; the raw tables collapse the copy (ReplacingMergeTree),
-- but the materialized views would add it to the per-minute means and sums a second time. So each
-- raw row records where it came from (`source` = consumer group @ topic # partition, and its offset),
-- a view keeps the highest stored offset per source, and the sink skips what is at or below it
-- (services/sink/sink.ts). The position is written by the same INSERT as the rows, so the two cannot
-- disagree. Rows not written by a sink (seeds, tests) have source ''.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS: the migration runner skips an ADD COLUMN whose column exists.

ALTER TABLE scores ADD COLUMN source String;
ALTER TABLE scores ADD COLUMN source_offset UInt64;
ALTER TABLE alerts ADD COLUMN source String;
ALTER TABLE alerts ADD COLUMN source_offset UInt64;
ALTER TABLE call_summaries ADD COLUMN source String;
ALTER TABLE call_summaries ADD COLUMN source_offset UInt64;

CREATE TABLE IF NOT EXISTS sink_positions (
  source String,
  stored_offset AggregateFunction(max, UInt64)
) ENGINE = AggregatingMergeTree
ORDER BY source;

CREATE MATERIALIZED VIEW IF NOT EXISTS score_positions_mv TO sink_positions AS
SELECT source, maxState(source_offset) AS stored_offset FROM scores WHERE source != '' GROUP BY source;

CREATE MATERIALIZED VIEW IF NOT EXISTS alert_positions_mv TO sink_positions AS
SELECT source, maxState(source_offset) AS stored_offset FROM alerts WHERE source != '' GROUP BY source;

CREATE MATERIALIZED VIEW IF NOT EXISTS summary_positions_mv TO sink_positions AS
SELECT source, maxState(source_offset) AS stored_offset FROM call_summaries WHERE source != '' GROUP BY source;
