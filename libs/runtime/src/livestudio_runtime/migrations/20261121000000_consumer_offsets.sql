-- migrate:up
-- Offsets a consumer has applied, written in the same transaction as the rows it changed.
CREATE TABLE consumer_offsets (
    consumer     text        NOT NULL,
    topic        text        NOT NULL,
    partition    integer     NOT NULL,
    next_offset  bigint      NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);

-- migrate:down
DROP TABLE consumer_offsets;
