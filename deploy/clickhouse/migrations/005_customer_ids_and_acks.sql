-- The caller or customer id of a call (personal data: core/events/README.md), on every raw table that
-- names a call; rows stored before it read '' (unknown). And alert acknowledgements from the
-- wallboard (alert_ack events): who acknowledged which alert when, read back by boards opened after a
-- restart. Every acknowledgement is kept; readers take the first per alert. Like every raw table it
-- records its bus position (migration 003) so a redelivered batch is skipped.

ALTER TABLE scores ADD COLUMN customer_id String;
ALTER TABLE alerts ADD COLUMN customer_id String;
ALTER TABLE call_summaries ADD COLUMN customer_id String;

CREATE TABLE IF NOT EXISTS alert_acks (
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
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(produced_at)
ORDER BY (tenant_id, alert_id, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS ack_positions_mv TO sink_positions AS
SELECT source, maxState(source_offset) AS stored_offset FROM alert_acks WHERE source != '' GROUP BY source;
