-- migrate:up
-- Per-account history backfill (liveList/v2 walked back in 30-day windows): where it stands, so that a restart
-- resumes where it stopped, and the progress the CLI and the gateway show. The request columns are written by
-- the CLI (`backfill`), the rest by the poller that owns the account.
CREATE TABLE backfill_state (
    account_id      text        PRIMARY KEY,
    requested_seq   bigint      NOT NULL DEFAULT 0,   -- bumped by every on-demand request
    requested_days  integer     NULL,
    requested_at    timestamptz NULL,
    applied_seq     bigint      NOT NULL DEFAULT 0,   -- the last request the poller started
    days            integer     NOT NULL DEFAULT 0,
    target_date     date        NULL,                 -- oldest shop-local start date to reach
    next_end_date   date        NULL,                 -- last day of the next window to read (NULL: done)
    next_page       integer     NOT NULL DEFAULT 1,
    windows_done    integer     NOT NULL DEFAULT 0,
    windows_total   integer     NOT NULL DEFAULT 0,
    sessions_found  integer     NOT NULL DEFAULT 0,
    started_at      timestamptz NULL,
    finished_at     timestamptz NULL,
    last_error      text        NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE backfill_state;
