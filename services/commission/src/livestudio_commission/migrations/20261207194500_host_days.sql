-- migrate:up
-- Per-day host rollup of `attributions` for the gateway's host reads (performance, leaderboard, one host's days),
-- which otherwise aggregate a studio's raw year per request (issue #23). One row per (studio, host, local day);
-- host_id NULL = the unassigned bucket (NULLS NOT DISTINCT: one such row per studio and day). `sessions` counts the
-- day's attribution rows: `attributions` holds one row per (host, session), so a host's distinct sessions over a
-- range are the sum of its days' counts. The sums are the days' sums of `attributions` (NULL when every row of the
-- day is NULL), so sums of them equal the sums over the raw rows, to the digit. Rewritten with every change to
-- `attributions` in the same transaction (`repository.refresh_host_days`).
CREATE TABLE host_days (
    studio_id         text    NOT NULL,
    host_id           text    NULL,
    local_day         date    NOT NULL,
    sessions          bigint  NOT NULL,
    on_air_ms         bigint  NULL,
    placed_orders     bigint  NULL,
    placed_sales      numeric NULL,
    confirmed_orders  bigint  NULL,
    confirmed_sales   numeric NULL,
    CONSTRAINT host_days_key UNIQUE NULLS NOT DISTINCT (studio_id, local_day, host_id)
);
CREATE INDEX host_days_host_day ON host_days (host_id, local_day);

INSERT INTO host_days (studio_id, host_id, local_day, sessions, on_air_ms, placed_orders, placed_sales,
    confirmed_orders, confirmed_sales)
SELECT studio_id, host_id, local_day, count(*), sum(on_air_ms), sum(placed_orders), sum(placed_sales),
       sum(confirmed_orders), sum(confirmed_sales)
FROM attributions
GROUP BY studio_id, host_id, local_day;

-- migrate:down
DROP TABLE host_days;
