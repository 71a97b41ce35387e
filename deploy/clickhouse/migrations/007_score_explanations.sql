-- A scored window's explanation (core/events/schema.ts `explanation`): the emotion it explains and,
-- per segment of the window in time order, its start and end (ms from the call start, like
-- window_start_ms) and weight (-1 … 1, positive: the segment supports the emotion). Parallel arrays
-- of one length. Rows without one (explanations off, short windows, rows stored before this) read
-- '' and empty arrays.

ALTER TABLE scores ADD COLUMN explain_emotion String;
ALTER TABLE scores ADD COLUMN explain_start_ms Array(UInt32);
ALTER TABLE scores ADD COLUMN explain_end_ms Array(UInt32);
ALTER TABLE scores ADD COLUMN explain_weight Array(Float32);
