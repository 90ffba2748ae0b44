-- migrate:up
-- Which replica last started polling the account (`engine.PollEngine.token`, written when it starts a poller
-- from this state): a replica resumes a poller it paused at a rebalance only if no one claimed the account since
-- (issue #23; `handover.py`).
ALTER TABLE poll_state ADD COLUMN owner text NULL;

-- migrate:down
ALTER TABLE poll_state DROP COLUMN owner;
