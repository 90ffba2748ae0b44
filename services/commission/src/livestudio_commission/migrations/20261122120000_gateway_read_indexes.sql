-- migrate:up
-- Indexes behind the gateway's reads: hosts of a session (`attributions_key` leads with coalesce(host_id, '')
-- and cannot serve it), a host's sessions, a studio's statements in keyset order and a statement's lines in
-- order. The last two supersede the indexes they extend.
-- (On large live tables build them CONCURRENTLY by hand first, one statement at a time: dbmate runs a file as
-- one implicit transaction, where CONCURRENTLY is refused; IF NOT EXISTS then skips them here.)
CREATE INDEX IF NOT EXISTS attributions_session ON attributions (account_id, session_id);
CREATE INDEX IF NOT EXISTS attributions_host_session ON attributions (host_id, account_id, session_id);
CREATE INDEX IF NOT EXISTS statements_studio_period_id ON statements (studio_id, period_start, statement_id);
CREATE INDEX IF NOT EXISTS statement_lines_statement_line ON statement_lines (statement_id, line_id);
DROP INDEX IF EXISTS statements_studio_period;
DROP INDEX IF EXISTS statement_lines_statement;

-- migrate:down
CREATE INDEX IF NOT EXISTS statement_lines_statement ON statement_lines (statement_id);
CREATE INDEX IF NOT EXISTS statements_studio_period ON statements (studio_id, period_start);
DROP INDEX IF EXISTS statement_lines_statement_line;
DROP INDEX IF EXISTS statements_studio_period_id;
DROP INDEX IF EXISTS attributions_host_session;
DROP INDEX IF EXISTS attributions_session;
