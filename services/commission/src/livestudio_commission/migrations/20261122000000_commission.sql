-- migrate:up
-- Roster: studios, hosts (with role history), shift templates, schedule entries, check-in/check-out events.
CREATE TABLE studios (
    studio_id   text PRIMARY KEY,
    name        text        NOT NULL,
    timezone    text        NOT NULL DEFAULT 'Asia/Jakarta',
    currency    text        NOT NULL DEFAULT 'IDR',
    pay_period  text        NOT NULL DEFAULT 'monthly' CHECK (pay_period IN ('monthly', 'weekly')),
    holidays    date[]      NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hosts (
    host_id     text PRIMARY KEY,
    studio_id   text        NOT NULL,
    name        text        NOT NULL,
    role        text        NOT NULL DEFAULT 'host',
    active      boolean     NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hosts_studio ON hosts (studio_id);

-- The role a host had from a local day on (the first role applies since always: 1900-01-01).
CREATE TABLE host_roles (
    host_id         text NOT NULL,
    effective_from  date NOT NULL,
    role            text NOT NULL,
    PRIMARY KEY (host_id, effective_from)
);

CREATE TABLE shifts (
    shift_id     text PRIMARY KEY,
    studio_id    text        NOT NULL,
    name         text        NOT NULL,
    start_local  time        NOT NULL,
    end_local    time        NOT NULL,   -- end <= start: the shift ends on the next local day
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A host on an account for a window. starts_at/ends_at/local_day are the resolved window (NULL while the
-- entry names a shift that is not known yet); explicit_* are what the command said.
CREATE TABLE schedule_entries (
    entry_id            text PRIMARY KEY,
    studio_id           text        NOT NULL,
    host_id             text        NOT NULL,
    account_id          text        NOT NULL,
    shift_id            text        NULL,
    shift_date          date        NULL,
    explicit_starts_at  timestamptz NULL,
    explicit_ends_at    timestamptz NULL,
    starts_at           timestamptz NULL,
    ends_at             timestamptz NULL,
    local_day           date        NULL,
    share               numeric     NOT NULL DEFAULT 1 CHECK (share > 0),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedule_entries_account_time ON schedule_entries (account_id, starts_at);
CREATE INDEX schedule_entries_shift ON schedule_entries (shift_id);
CREATE INDEX schedule_entries_studio ON schedule_entries (studio_id);

CREATE TABLE host_checks (
    check_id    text PRIMARY KEY,            -- the command id
    host_id     text        NOT NULL,
    account_id  text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('in', 'out')),
    at          timestamptz NOT NULL
);
CREATE INDEX host_checks_account_at ON host_checks (account_id, at);

-- Pay rule versions: one row per (rule_id, effective_from).
CREATE TABLE pay_rules (
    rule_id         text        NOT NULL,
    effective_from  date        NOT NULL,
    effective_to    date        NULL,
    studio_id       text        NULL,
    account_id      text        NULL,
    role            text        NULL,
    rule_kind       text        NOT NULL CHECK (rule_kind IN ('gmv_percent', 'per_order', 'per_hour')),
    basis           text        NOT NULL CHECK (basis IN ('confirmed', 'placed')),
    percent         numeric     NULL,
    tiers           jsonb       NOT NULL DEFAULT '[]',
    amount          numeric     NULL,
    day_type        text        NOT NULL CHECK (day_type IN ('all', 'weekday', 'weekend', 'holiday')),
    shift_id        text        NULL,
    min_threshold   numeric     NULL,
    cap             numeric     NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, effective_from)
);
CREATE INDEX pay_rules_studio ON pay_rules (studio_id);

-- Attribution state per session: last applied cumulative figures, each with the time it was known at.
CREATE TABLE sessions (
    account_id              text        NOT NULL,
    session_id              bigint      NOT NULL,
    studio_id               text        NOT NULL,
    timezone                text        NOT NULL,
    currency                text        NOT NULL,
    started_at              timestamptz NOT NULL,
    ended_at                timestamptz NULL,
    last_observed_at        timestamptz NULL,
    placed_orders           bigint      NULL,
    placed_orders_at        timestamptz NULL,
    placed_sales            numeric     NULL,
    placed_sales_at         timestamptz NULL,
    confirmed_orders        bigint      NULL,
    confirmed_orders_at     timestamptz NULL,
    confirmed_sales         numeric     NULL,
    confirmed_sales_at      timestamptz NULL,
    increments              integer     NOT NULL DEFAULT 0,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, session_id)
);
CREATE INDEX sessions_account_started ON sessions (account_id, started_at);
CREATE INDEX sessions_studio ON sessions (studio_id);

-- Every applied increment, so that a roster change can re-attribute a session exactly.
-- <metric>_from/_to: the interval the increment covers (for 'settle': the whole session, used as fallback).
CREATE TABLE session_increments (
    account_id              text        NOT NULL,
    session_id              bigint      NOT NULL,
    seq                     integer     NOT NULL,
    kind                    text        NOT NULL CHECK (kind IN ('time', 'settle')),
    observed_at             timestamptz NOT NULL,
    on_air_from             timestamptz NULL,
    on_air_to               timestamptz NULL,
    placed_orders           bigint      NULL,
    placed_orders_from      timestamptz NULL,
    placed_orders_to        timestamptz NULL,
    placed_sales            numeric     NULL,
    placed_sales_from       timestamptz NULL,
    placed_sales_to         timestamptz NULL,
    confirmed_orders        bigint      NULL,
    confirmed_orders_from   timestamptz NULL,
    confirmed_orders_to     timestamptz NULL,
    confirmed_sales         numeric     NULL,
    confirmed_sales_from    timestamptz NULL,
    confirmed_sales_to      timestamptz NULL,
    PRIMARY KEY (account_id, session_id, seq)
);

-- Fine-grained attribution: per session, host ('' = unassigned), on-air window and local day.
CREATE TABLE attribution_parts (
    account_id        text    NOT NULL,
    session_id        bigint  NOT NULL,
    host_key          text    NOT NULL,
    window_key        text    NOT NULL,
    local_day         date    NOT NULL,
    host_id           text    NULL,
    studio_id         text    NOT NULL,
    shift_id          text    NULL,
    placed_orders     bigint  NULL,
    placed_sales      numeric NULL,
    confirmed_orders  bigint  NULL,
    confirmed_sales   numeric NULL,
    on_air_ms         bigint  NULL,
    PRIMARY KEY (account_id, session_id, host_key, window_key, local_day)
);
CREATE INDEX attribution_parts_host_day ON attribution_parts (host_id, local_day) WHERE host_id IS NOT NULL;

-- Read model for the gateway: one row per (host, account, session); host_id NULL = unassigned.
-- local_day is the local day the session started on.
CREATE TABLE attributions (
    studio_id         text        NOT NULL,
    host_id           text        NULL,
    account_id        text        NOT NULL,
    session_id        bigint      NOT NULL,
    local_day         date        NOT NULL,
    currency          text        NOT NULL DEFAULT 'IDR',
    placed_orders     bigint      NULL,
    placed_sales      numeric     NULL,
    confirmed_orders  bigint      NULL,
    confirmed_sales   numeric     NULL,
    on_air_ms         bigint      NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX attributions_key ON attributions ((coalesce(host_id, '')), account_id, session_id);
CREATE INDEX attributions_studio_day ON attributions (studio_id, local_day);
CREATE INDEX attributions_host_day ON attributions (host_id, local_day);

-- Ledger: one current (non-void) statement per host and pay period; seq counts re-issues after a void.
CREATE TABLE statements (
    statement_id   text PRIMARY KEY,
    studio_id      text        NOT NULL,
    host_id        text        NOT NULL,
    period_start   date        NOT NULL,
    period_end     date        NOT NULL,
    seq            integer     NOT NULL DEFAULT 1,
    status         text        NOT NULL CHECK (status IN ('calculated', 'approved', 'paid', 'void')),
    currency       text        NOT NULL DEFAULT 'IDR',
    total          numeric     NOT NULL DEFAULT 0,
    revision       integer     NOT NULL DEFAULT 1,
    content_hash   text        NOT NULL DEFAULT '',
    approved_by    text        NULL,
    approved_at    timestamptz NULL,
    paid_by        text        NULL,
    paid_at        timestamptz NULL,
    voided_by      text        NULL,
    voided_at      timestamptz NULL,
    void_reason    text        NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX statements_current ON statements (host_id, period_start) WHERE status <> 'void';
CREATE INDEX statements_studio_period ON statements (studio_id, period_start);

-- source_period_start: the period whose earnings the line is about (an adjustment's is an earlier period).
CREATE TABLE statement_lines (
    line_id              text PRIMARY KEY,
    statement_id         text    NOT NULL REFERENCES statements (statement_id) ON DELETE CASCADE,
    line_kind            text    NOT NULL CHECK (line_kind IN ('earning', 'adjustment')),
    rule_id              text    NULL,
    rule_version         date    NULL,
    account_id           text    NULL,
    session_id           bigint  NULL,
    description          text    NOT NULL,
    base                 numeric NULL,
    amount               numeric NOT NULL,
    source_period_start  date    NOT NULL
);
CREATE INDEX statement_lines_statement ON statement_lines (statement_id);
CREATE INDEX statement_lines_source ON statement_lines (source_period_start);

-- (host, local day) whose statements must be recomputed; written with the change, drained by the statement
-- worker. Append-only (duplicates allowed) so that writers never wait for a worker holding a mark.
CREATE TABLE statement_dirty (
    id         bigserial PRIMARY KEY,
    host_id    text        NOT NULL,
    local_day  date        NOT NULL,
    marked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX statement_dirty_host ON statement_dirty (host_id);

CREATE TABLE command_results (
    command_id  text PRIMARY KEY,
    kind        text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('applied', 'rejected')),
    error       text        NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Transactional outbox of livestudio.commission.v1 events; event_id = f(statement_id, revision).
CREATE TABLE outbox (
    seq           bigserial PRIMARY KEY,
    event_id      text        NOT NULL UNIQUE,
    event_key     text        NOT NULL,
    event_type    text        NOT NULL,
    body          text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz NULL
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;

-- migrate:down
DROP TABLE outbox;
DROP TABLE command_results;
DROP TABLE statement_dirty;
DROP TABLE statement_lines;
DROP TABLE statements;
DROP TABLE attributions;
DROP TABLE attribution_parts;
DROP TABLE session_increments;
DROP TABLE sessions;
DROP TABLE pay_rules;
DROP TABLE host_checks;
DROP TABLE schedule_entries;
DROP TABLE shifts;
DROP TABLE host_roles;
DROP TABLE hosts;
DROP TABLE studios;
