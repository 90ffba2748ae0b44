-- migrate:up
-- Timestamp of the last applied record, to recognise a broker log that was replaced under the stored offset.
ALTER TABLE consumer_offsets ADD COLUMN last_record_ts bigint;

-- migrate:down
ALTER TABLE consumer_offsets DROP COLUMN last_record_ts;
