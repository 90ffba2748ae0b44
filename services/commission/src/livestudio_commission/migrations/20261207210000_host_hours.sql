-- migrate:up
-- Hours of the day of host attribution (issue #20): the gateway's `GET /analytics/hours?host_id=` reads them.
--
-- `attribution_hours` splits every `attribution_parts` row over the studio-local hours its increments covered
-- (`hours.split_hours`: each bucket's amount of an increment over the hours of the metric's interval, weighted by
-- the bucket's time in each hour, largest remainder; on-air time likewise), so per (session, host, window, pay
-- day) the hours add up to the part to the digit. `local_day` is the part's pay day (the shift's day), while
-- (`local_date`, `hour`) is the calendar hour: they differ for a shift past midnight. Written in the same
-- transaction as the parts: added to by the consumer per increment, replaced when a session is re-attributed.
--
-- `host_hours` is the rollup the gateway reads: per (account, calendar hour, host, studio), host_id NULL = the
-- unassigned bucket (NULLS NOT DISTINCT: one such row per account-hour). `sessions` counts the distinct sessions
-- of the host in that account-hour. It keeps account_id so the gateway can apportion an account-hour's viewers
-- (analytics.hourly_account) by the host's share of the on-air time of that account-hour; `account_on_air_ms` is
-- that account-hour's on-air time of every host and the unassigned bucket (the share's denominator, on every row
-- so that the gateway's read is one index lookup per row). Recomputed for the touched keys in the transaction
-- that changed `attribution_hours` (`repository.refresh_host_hours`): the touched account-hours' rows of
-- `account_hours` are locked first, in one order (every writer of an account-hour's `host_hours` rows holds that
-- lock, so the totals written on all of its rows are never stale), then the keys are summed.
--
-- No backfill: the hour of what was attributed before this migration is not in `attribution_parts`, and the exact
-- split (largest remainder over time weights of the roster in force) is not reproducible in SQL. Hours per host
-- start with this migration; a session re-attributed later (a roster or shift change around it, or a change of
-- the studio's timezone, which re-attributes all of the studio's sessions, replays its stored increments) gets all
-- its hours. No backfill command exists. A session live at the migration has only the hours of its later
-- increments until it is re-attributed.
CREATE TABLE attribution_hours (
    account_id        text     NOT NULL,
    session_id        bigint   NOT NULL,
    host_key          text     NOT NULL,
    window_key        text     NOT NULL,
    local_day         date     NOT NULL,
    local_date        date     NOT NULL,
    hour              smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    host_id           text     NULL,
    studio_id         text     NOT NULL,
    placed_orders     bigint   NULL,
    placed_sales      numeric  NULL,
    confirmed_orders  bigint   NULL,
    confirmed_sales   numeric  NULL,
    on_air_ms         bigint   NULL,
    PRIMARY KEY (account_id, session_id, host_key, window_key, local_day, local_date, hour)
);
CREATE INDEX attribution_hours_account_hour ON attribution_hours (account_id, local_date, hour);

CREATE TABLE host_hours (
    studio_id         text     NOT NULL,
    host_id           text     NULL,
    account_id        text     NOT NULL,
    local_date        date     NOT NULL,
    hour              smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    sessions          bigint   NOT NULL,
    on_air_ms         bigint   NULL,
    placed_orders     bigint   NULL,
    placed_sales      numeric  NULL,
    confirmed_orders  bigint   NULL,
    confirmed_sales   numeric  NULL,
    account_on_air_ms bigint   NULL,
    CONSTRAINT host_hours_key UNIQUE NULLS NOT DISTINCT (account_id, local_date, hour, host_id, studio_id)
);
-- A host's range read (index-only: a year of a host is a few dozen index pages)
CREATE INDEX host_hours_host_day ON host_hours (host_id, local_date)
    INCLUDE (studio_id, account_id, hour, sessions, on_air_ms, placed_orders, placed_sales, confirmed_orders,
             confirmed_sales, account_on_air_ms);

-- One row per account-hour with host hours: the lock every writer of that account-hour's `host_hours` rows takes
-- first, and its on-air time of every host and the unassigned bucket (NULL when none is known).
CREATE TABLE account_hours (
    account_id        text     NOT NULL,
    local_date        date     NOT NULL,
    hour              smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    on_air_ms         bigint   NULL,
    PRIMARY KEY (account_id, local_date, hour)
);

-- migrate:down
DROP TABLE account_hours;
DROP TABLE host_hours;
DROP TABLE attribution_hours;
