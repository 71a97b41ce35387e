-- A call whose live pod died mid-call is ended by another pod with a summary marked interrupted
-- (core/events/README.md); kept so reports can tell such calls apart. Existing rows read 0.

ALTER TABLE call_summaries ADD COLUMN interrupted UInt8;
