-- migrate:up
-- Rollups kept by the refresher (livestudio_analytics.rollups) instead of inside the consumer's transaction.
-- The consumer records which keys a batch made stale ("dirty marks"), in the same transaction as the facts; the
-- refresher recomputes the marked keys every few hundred milliseconds and deletes the marks it handled in the
-- transaction that writes the rollups. A mark's `seq` changes whenever it is marked again, so a mark re-marked
-- while the refresher was recomputing stays for the next round.
CREATE SEQUENCE rollup_mark_seq;

-- (account, local day) whose product rollups (daily_items, daily_studio_items) are stale
CREATE TABLE rollup_dirty_days (
    account_id text        NOT NULL,
    day        date        NOT NULL,
    seq        bigint      NOT NULL,
    since      timestamptz NOT NULL DEFAULT now(),  -- first marked (kept when marked again): the lag metric
    PRIMARY KEY (account_id, day)
);

-- sessions whose hourly rollups (hourly_account, hourly_studio) are stale from `from_minute` on
CREATE TABLE rollup_dirty_sessions (
    account_id  text        NOT NULL,
    session_id  bigint      NOT NULL,
    from_minute timestamptz NOT NULL,
    seq         bigint      NOT NULL,
    since       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, session_id)
);

-- Products per account and studio-local day (the session's local_day and studio): the sums the gateway's top
-- products read, so a year is ~365 rows per product instead of every session's product rows.
CREATE TABLE daily_items (
    account_id           text    NOT NULL,
    day                  date    NOT NULL,
    studio_id            text    NOT NULL,
    item_id              bigint  NOT NULL,
    title                text,            -- max(title) over the day's product rows (as the raw read took it)
    sessions             integer NOT NULL,  -- product rows (sessions showing the product)
    product_clicks       bigint,
    add_to_cart          bigint,
    placed_orders        bigint,
    placed_items_sold    bigint,
    confirmed_orders     bigint,
    confirmed_items_sold bigint,
    placed_sales         numeric,
    confirmed_sales      numeric,
    PRIMARY KEY (account_id, day, studio_id, item_id)
        INCLUDE (title, sessions, product_clicks, add_to_cart, placed_orders, placed_items_sold, confirmed_orders,
                 confirmed_items_sold, placed_sales, confirmed_sales)
) WITH (fillfactor = 80);

-- The same summed over the studio's accounts: a studio's year is ~365 rows per product.
CREATE TABLE daily_studio_items (
    studio_id            text    NOT NULL,
    day                  date    NOT NULL,
    item_id              bigint  NOT NULL,
    title                text,
    sessions             integer NOT NULL,
    product_clicks       bigint,
    add_to_cart          bigint,
    placed_orders        bigint,
    placed_items_sold    bigint,
    confirmed_orders     bigint,
    confirmed_items_sold bigint,
    placed_sales         numeric,
    confirmed_sales      numeric,
    PRIMARY KEY (studio_id, day, item_id)
        INCLUDE (title, sessions, product_clicks, add_to_cart, placed_orders, placed_items_sold, confirmed_orders,
                 confirmed_items_sold, placed_sales, confirmed_sales)
) WITH (fillfactor = 80);

-- Backfill: every stored (account, day) with products is marked; the refresher fills the product rollups.
INSERT INTO rollup_dirty_days (account_id, day, seq)
SELECT k.account_id, k.local_day, nextval('rollup_mark_seq')
FROM (SELECT DISTINCT s.account_id, s.local_day
      FROM sessions s
      WHERE EXISTS (SELECT 1 FROM session_items i WHERE i.account_id = s.account_id AND i.session_id = s.session_id)
     ) k;

-- migrate:down
DROP TABLE daily_studio_items;
DROP TABLE daily_items;
DROP TABLE rollup_dirty_sessions;
DROP TABLE rollup_dirty_days;
DROP SEQUENCE rollup_mark_seq;
