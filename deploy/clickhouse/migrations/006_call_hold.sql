-- A call's time without audio (on hold, discarded or lost by the carrier: the summary's holdMs,
-- core/events/schema.ts), part of duration_ms and of neither speaker's talk nor silence. Rows stored
-- before it, and interrupted summaries (whose hold is unknown), read 0.

ALTER TABLE call_summaries ADD COLUMN hold_ms UInt32;
