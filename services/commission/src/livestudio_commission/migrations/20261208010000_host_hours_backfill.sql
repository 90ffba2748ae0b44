-- migrate:up
-- Hours of the day of the history attributed before `20261207210000_host_hours` (issue #20): the sessions whose
-- `attribution_hours` do not add up to their `attribution_parts` (none at all: attributed before that migration;
-- some: live while it ran) are queued here, and the service's backfill (`hours_backfill.py`) drains the queue a few
-- sessions per transaction with `sessions.reattribute`: each session's hours replayed from its stored increments
-- under its row lock (exactly what a fresh attribution writes), `host_hours` refreshed under the account-hour locks,
-- and the session's queue row deleted in that same transaction (a crash leaves the row; a replay replaces hours,
-- never adds to them). A session queued whose hours are already right costs a replay and writes nothing.
-- Old replicas still attributing while this runs leave their sessions out of the queue (stop them first, as for
-- `host_days`); such a session gets its hours at its next re-attribution, or by queueing it again (RUNBOOK).
--
-- A session whose re-attribution fails (an error, not a lock given up to the consumer) moves behind the others
-- (`attempts`, `last_error`) and is left queued after `hours_backfill.MAX_ATTEMPTS` failures (the runbook says how
-- to retry it), so one bad session never holds the rest up.
CREATE TABLE hours_backfill (
    account_id text    NOT NULL,
    session_id bigint  NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text    NULL,
    PRIMARY KEY (account_id, session_id)
);

INSERT INTO hours_backfill (account_id, session_id)
SELECT p.account_id, p.session_id
FROM (
    SELECT account_id, session_id, sum(placed_orders) AS placed_orders, sum(placed_sales) AS placed_sales,
           sum(confirmed_orders) AS confirmed_orders, sum(confirmed_sales) AS confirmed_sales,
           sum(on_air_ms) AS on_air_ms
    FROM attribution_parts GROUP BY account_id, session_id
) AS p
LEFT JOIN (
    SELECT account_id, session_id, sum(placed_orders) AS placed_orders, sum(placed_sales) AS placed_sales,
           sum(confirmed_orders) AS confirmed_orders, sum(confirmed_sales) AS confirmed_sales,
           sum(on_air_ms) AS on_air_ms
    FROM attribution_hours GROUP BY account_id, session_id
) AS h ON h.account_id = p.account_id AND h.session_id = p.session_id
WHERE h.account_id IS NULL
   OR (p.placed_orders, p.placed_sales, p.confirmed_orders, p.confirmed_sales, p.on_air_ms)
      IS DISTINCT FROM (h.placed_orders, h.placed_sales, h.confirmed_orders, h.confirmed_sales, h.on_air_ms);

-- migrate:down
DROP TABLE hours_backfill;
