-- migrate:up
-- Read models of the analytics service (schema analytics). Only the analytics consumer writes here.
-- Metric columns are NULL when Shopee never reported them (unknown is not zero).
-- `field_observed_at` (internal): observed_at of the report behind each register of the row, in the order of
-- livestudio_analytics.observations (SESSIONS / TIMELINE / ITEMS); it makes merges order-independent.

-- Streaming time of one session: Shopee's duration, else end - start, else the time seen live so far
-- (newest snapshot); 0 when nothing tells.
CREATE FUNCTION session_streaming_ms(
    duration_ms bigint, started_at timestamptz, ended_at timestamptz, live_observed_at timestamptz
) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN greatest(0, coalesce(
    duration_ms,
    floor(extract(epoch FROM ended_at - started_at) * 1000)::bigint,
    floor(extract(epoch FROM live_observed_at - started_at) * 1000)::bigint
));

-- Newest figures per live session. local_day = date of started_at in the session's (studio's) timezone.
CREATE TABLE sessions (
    account_id           text        NOT NULL,
    session_id           bigint      NOT NULL,
    studio_id            text        NOT NULL,
    title                text,
    on_air               boolean,
    started_at           timestamptz NOT NULL,
    ended_at             timestamptz,
    duration_ms          bigint,
    local_day            date        NOT NULL,
    timezone             text        NOT NULL,
    currency             text        NOT NULL,
    observed_at          timestamptz NOT NULL,
    corrected_at         timestamptz,
    live_observed_at     timestamptz,
    views                bigint,
    viewers              bigint,
    peak_viewers         bigint,
    current_viewers      bigint,
    avg_view_duration_ms bigint,
    comments             bigint,
    likes                bigint,
    shares               bigint,
    followers_growth     bigint,
    add_to_cart          bigint,
    product_clicks       bigint,
    conversion_rate      numeric(26,6),
    buyers               bigint,
    placed_orders        bigint,
    placed_sales         numeric(22,2),
    placed_items_sold    bigint,
    confirmed_buyers     bigint,
    confirmed_orders     bigint,
    confirmed_sales      numeric(22,2),
    confirmed_items_sold bigint,
    paid_orders          bigint,
    paid_sales           numeric(22,2),
    field_observed_at    timestamptz[] NOT NULL,
    streaming_ms         bigint GENERATED ALWAYS AS
                             (session_streaming_ms(duration_ms, started_at, ended_at, live_observed_at)) STORED,
    PRIMARY KEY (account_id, session_id)
) WITH (fillfactor = 70);
CREATE INDEX sessions_account_day ON sessions (account_id, local_day);
CREATE INDEX sessions_studio_day ON sessions (studio_id, local_day);
CREATE INDEX sessions_on_air ON sessions (account_id) WHERE on_air;

-- Per-minute chart points of a stream (UTC minute of observed_at; newest report within the minute wins).
CREATE TABLE session_timeline (
    account_id        text        NOT NULL,
    session_id        bigint      NOT NULL,
    minute            timestamptz NOT NULL,
    viewers           bigint,
    current_viewers   bigint,
    placed_orders     bigint,
    confirmed_orders  bigint,
    placed_sales      numeric(22,2),
    confirmed_sales   numeric(22,2),
    observed_at       timestamptz NOT NULL,
    field_observed_at timestamptz[] NOT NULL,
    PRIMARY KEY (account_id, session_id, minute)
) WITH (fillfactor = 85);

-- Newest figures per product of a session.
CREATE TABLE session_items (
    account_id           text        NOT NULL,
    session_id           bigint      NOT NULL,
    item_id              bigint      NOT NULL,
    studio_id            text        NOT NULL,
    currency             text        NOT NULL,
    title                text,
    min_price            numeric(22,2),
    max_price            numeric(22,2),
    product_clicks       bigint,
    click_through_rate   numeric(26,6),
    add_to_cart          bigint,
    placed_orders        bigint,
    placed_sales         numeric(22,2),
    placed_items_sold    bigint,
    confirmed_orders     bigint,
    confirmed_sales      numeric(22,2),
    confirmed_items_sold bigint,
    observed_at          timestamptz NOT NULL,
    field_observed_at    timestamptz[] NOT NULL,
    PRIMARY KEY (account_id, session_id, item_id)
) WITH (fillfactor = 70);

-- Ad spend typed in per account and local day (command adspend.enter; the newest issued command wins).
CREATE TABLE ad_spend (
    account_id  text          NOT NULL,
    day         date          NOT NULL,
    studio_id   text          NOT NULL,
    amount      numeric(22,2) NOT NULL CHECK (amount >= 0),
    currency    text          NOT NULL,
    command_id  text          NOT NULL,
    issued_at   timestamptz   NOT NULL,
    PRIMARY KEY (account_id, day)
);

-- Outcome of every command analytics applied (the gateway shows it at GET /api/v1/commands/{id}).
CREATE TABLE command_results (
    command_id  text        PRIMARY KEY,
    kind        text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('applied', 'rejected')),
    error       text,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Daily rollup per account and studio-local day, recomputed from `sessions` for the days a batch touched.
-- Sums are NULL when no session of the day reported the figure.
CREATE TABLE daily_account (
    account_id           text        NOT NULL,
    day                  date        NOT NULL,
    studio_id            text        NOT NULL,
    currency             text,
    sessions             integer     NOT NULL,
    sessions_on_air      integer     NOT NULL,
    streaming_ms         bigint      NOT NULL,
    views                bigint,
    viewers              bigint,
    peak_viewers         bigint,
    buyers               bigint,
    placed_orders        bigint,
    placed_items_sold    bigint,
    confirmed_orders     bigint,
    confirmed_items_sold bigint,
    paid_orders          bigint,
    placed_sales         numeric,
    confirmed_sales      numeric,
    paid_sales           numeric,
    ad_spend             numeric,
    observed_at          timestamptz,
    PRIMARY KEY (account_id, day)
) WITH (fillfactor = 70);
CREATE INDEX daily_account_studio_day ON daily_account (studio_id, day);

-- Daily rollup per studio, recomputed from daily_account for the (studio, day) rows a batch touched.
CREATE TABLE daily_studio (
    studio_id            text        NOT NULL,
    day                  date        NOT NULL,
    currency             text,
    accounts             integer     NOT NULL,
    sessions             integer     NOT NULL,
    sessions_on_air      integer     NOT NULL,
    streaming_ms         bigint      NOT NULL,
    views                bigint,
    viewers              bigint,
    peak_viewers         bigint,
    buyers               bigint,
    placed_orders        bigint,
    placed_items_sold    bigint,
    confirmed_orders     bigint,
    confirmed_items_sold bigint,
    paid_orders          bigint,
    placed_sales         numeric,
    confirmed_sales      numeric,
    paid_sales           numeric,
    ad_spend             numeric,
    observed_at          timestamptz,
    PRIMARY KEY (studio_id, day)
) WITH (fillfactor = 70);

-- Derived figures; NULL whenever the divisor is 0 or unknown.
CREATE VIEW daily_account_v AS
SELECT d.*,
       round(d.streaming_ms / 3600000.0, 4)                                         AS streaming_hours,
       round(d.placed_sales * 3600000 / nullif(d.streaming_ms, 0), 2)               AS placed_gmv_per_hour,
       round(d.confirmed_sales * 3600000 / nullif(d.streaming_ms, 0), 2)            AS confirmed_gmv_per_hour,
       round(d.placed_orders::numeric / nullif(d.viewers, 0), 6)                    AS placed_conversion,
       round(d.confirmed_orders::numeric / nullif(d.viewers, 0), 6)                 AS confirmed_conversion,
       round(d.placed_sales / nullif(d.placed_orders, 0), 2)                        AS placed_aov,
       round(d.confirmed_sales / nullif(d.confirmed_orders, 0), 2)                  AS confirmed_aov,
       round(d.confirmed_sales / nullif(d.ad_spend, 0), 4)                          AS roas,
       round(d.ad_spend / nullif(d.confirmed_sales, 0), 4)                          AS acos
FROM daily_account d;

CREATE VIEW daily_studio_v AS
SELECT d.*,
       round(d.streaming_ms / 3600000.0, 4)                                         AS streaming_hours,
       round(d.placed_sales * 3600000 / nullif(d.streaming_ms, 0), 2)               AS placed_gmv_per_hour,
       round(d.confirmed_sales * 3600000 / nullif(d.streaming_ms, 0), 2)            AS confirmed_gmv_per_hour,
       round(d.placed_orders::numeric / nullif(d.viewers, 0), 6)                    AS placed_conversion,
       round(d.confirmed_orders::numeric / nullif(d.viewers, 0), 6)                 AS confirmed_conversion,
       round(d.placed_sales / nullif(d.placed_orders, 0), 2)                        AS placed_aov,
       round(d.confirmed_sales / nullif(d.confirmed_orders, 0), 2)                  AS confirmed_aov,
       round(d.confirmed_sales / nullif(d.ad_spend, 0), 4)                          AS roas,
       round(d.ad_spend / nullif(d.confirmed_sales, 0), 4)                          AS acos
FROM daily_studio d;

-- Sessions with per-session derived figures.
CREATE VIEW sessions_v AS
SELECT s.*,
       round(s.placed_orders::numeric / nullif(s.viewers, 0), 6)                    AS placed_conversion,
       round(s.placed_sales / nullif(s.placed_orders, 0), 2)                        AS placed_aov,
       round(s.confirmed_sales / nullif(s.confirmed_orders, 0), 2)                  AS confirmed_aov
FROM sessions s;

-- Top products of a session: rank 1 = best seller (ties by item_id); unknown sales rank last.
CREATE VIEW session_items_top AS
SELECT i.*,
       row_number() OVER (PARTITION BY i.account_id, i.session_id
                          ORDER BY i.placed_sales DESC NULLS LAST, i.item_id)       AS placed_rank,
       row_number() OVER (PARTITION BY i.account_id, i.session_id
                          ORDER BY i.confirmed_sales DESC NULLS LAST, i.item_id)    AS confirmed_rank
FROM session_items i;

-- migrate:down
DROP VIEW session_items_top;
DROP VIEW sessions_v;
DROP VIEW daily_studio_v;
DROP VIEW daily_account_v;
DROP TABLE daily_studio;
DROP TABLE daily_account;
DROP TABLE command_results;
DROP TABLE ad_spend;
DROP TABLE session_items;
DROP TABLE session_timeline;
DROP TABLE sessions;
DROP FUNCTION session_streaming_ms(bigint, timestamptz, timestamptz, timestamptz);
