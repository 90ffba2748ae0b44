-- migrate:up
-- Indexes behind the gateway's session list (keyset pages ordered by started_at, per studio, per account or
-- across the caller's scope) and its live count. Without them a page sorts every session of the studio.
-- (On a large live table build them CONCURRENTLY by hand first, one statement at a time: dbmate runs a file as
-- one implicit transaction, where CONCURRENTLY is refused; IF NOT EXISTS then skips them here.)
CREATE INDEX IF NOT EXISTS sessions_studio_started ON sessions (studio_id, started_at, account_id, session_id);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions (started_at, account_id, session_id);
CREATE INDEX IF NOT EXISTS sessions_account_started ON sessions (account_id, started_at, session_id);
CREATE INDEX IF NOT EXISTS sessions_studio_on_air ON sessions (studio_id) WHERE on_air;

-- migrate:down
DROP INDEX IF EXISTS sessions_studio_on_air;
DROP INDEX IF EXISTS sessions_account_started;
DROP INDEX IF EXISTS sessions_started;
DROP INDEX IF EXISTS sessions_studio_started;
