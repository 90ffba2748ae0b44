-- migrate:up
-- Affiliate report reading (issue #21): per account, what was read when; per checkout, what was published.
CREATE TABLE affiliate_state (
    account_id      text        PRIMARY KEY,
    backfilled_at   timestamptz NULL,  -- ingest-clock time the 30-day backfill completed (NULL: not yet)
    last_new_at     timestamptz NULL,  -- last read of new checkouts (ingest clock)
    last_reread_at  timestamptz NULL,  -- last re-read of the checkouts that can still change (ingest clock)
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE affiliate_checkouts (
    account_id    text        NOT NULL,
    checkout_id   text        NOT NULL,
    purchased_at  timestamptz NOT NULL,
    status        text        NOT NULL,
    fingerprint   text        NOT NULL,  -- content hash of the last published event (publish on change)
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, checkout_id)
);
CREATE INDEX affiliate_checkouts_open_idx ON affiliate_checkouts (account_id, purchased_at) WHERE status = 'pending';

-- migrate:down
DROP TABLE affiliate_checkouts;
DROP TABLE affiliate_state;
