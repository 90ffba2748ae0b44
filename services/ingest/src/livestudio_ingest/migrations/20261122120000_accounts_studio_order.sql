-- migrate:up
-- The gateway lists a studio's accounts in account_id order (keyset pages): one index serves filter and order.
CREATE INDEX IF NOT EXISTS accounts_studio_account_idx ON accounts (studio_id, account_id);
DROP INDEX IF EXISTS accounts_studio_idx;

-- migrate:down
CREATE INDEX IF NOT EXISTS accounts_studio_idx ON accounts (studio_id);
DROP INDEX IF EXISTS accounts_studio_account_idx;
