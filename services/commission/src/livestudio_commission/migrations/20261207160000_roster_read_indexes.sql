-- migrate:up
-- The gateway reads the roster back (GET /api/v1/schedule by studio and week, GET /api/v1/check-ins by host).
CREATE INDEX IF NOT EXISTS schedule_entries_studio_day ON schedule_entries (studio_id, local_day);
CREATE INDEX IF NOT EXISTS host_checks_host_at ON host_checks (host_id, at);

-- migrate:down
DROP INDEX IF EXISTS host_checks_host_at;
DROP INDEX IF EXISTS schedule_entries_studio_day;
