-- migrate:up
-- Monthly rollup per account (calendar months of studio-local days), kept by the refresher from daily_account:
-- the gateway's account breakdown reads full months of a range from here and only the partial months at its
-- ends from daily_account (a studio's year is ~300 rows instead of ~9,100). One row per (account, month, studio)
-- so a studio filter stays exact even for an account that moved studio within a month. Sums are NULL when every
-- day's figure is NULL, exactly like summing the daily rows.
CREATE TABLE monthly_account (
    account_id       text    NOT NULL,
    month            date    NOT NULL,  -- first day of the month
    studio_id        text    NOT NULL,
    currency         text,              -- max(currency) over the month's days
    sessions         bigint  NOT NULL,
    streaming_ms     bigint  NOT NULL,
    viewers          bigint,
    peak_viewers     bigint,            -- max over the days
    placed_orders    bigint,
    confirmed_orders bigint,
    placed_sales     numeric,
    confirmed_sales  numeric,
    ad_spend         numeric,
    PRIMARY KEY (account_id, month, studio_id)
) WITH (fillfactor = 80);
-- gateway: the account breakdown's full months of a studio, index-only
CREATE INDEX monthly_account_studio_month ON monthly_account (studio_id, month)
    INCLUDE (account_id, sessions, streaming_ms, viewers, peak_viewers, placed_orders, confirmed_orders, placed_sales,
             confirmed_sales, ad_spend);

-- (account, month) whose monthly_account rows are stale; marked by the consumer with the days it recomputed
CREATE TABLE rollup_dirty_months (
    account_id text        NOT NULL,
    month      date        NOT NULL,
    seq        bigint      NOT NULL,
    since      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, month)
);

-- Backfill from the stored daily rollups (the refresher keeps it from here on).
INSERT INTO monthly_account
SELECT account_id, date_trunc('month', day)::date, studio_id, max(currency COLLATE "C"),
       sum(sessions), sum(streaming_ms), sum(viewers), max(peak_viewers), sum(placed_orders), sum(confirmed_orders),
       sum(placed_sales), sum(confirmed_sales), sum(ad_spend)
FROM daily_account
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;

-- migrate:down
DROP TABLE rollup_dirty_months;
DROP TABLE monthly_account;
