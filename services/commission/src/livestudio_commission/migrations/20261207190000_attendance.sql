-- migrate:up
-- Attendance of schedule entries (issue #20): computed when an entry's window has closed, recomputed when its
-- check-ins or the account's on-air time change; a manager's correction is kept beside it and never overwritten.
CREATE TABLE attendance (
    entry_id              text PRIMARY KEY REFERENCES schedule_entries (entry_id) ON DELETE CASCADE,
    studio_id             text        NOT NULL,
    host_id               text        NOT NULL,
    account_id            text        NOT NULL,
    local_day             date        NOT NULL,
    starts_at             timestamptz NOT NULL,
    ends_at               timestamptz NOT NULL,
    -- computed (NULL status: not computed yet, e.g. a correction that arrived first)
    status                text        NULL CHECK (status IN ('on_time', 'late', 'left_early', 'absent')),
    arrived_at            timestamptz NULL,
    left_at               timestamptz NULL,
    late_minutes          integer     NULL,
    left_early_minutes    integer     NULL,
    on_air_known          boolean     NOT NULL DEFAULT false,
    grace_minutes         integer     NULL,
    computed_at           timestamptz NULL,
    -- a manager's correction
    corrected_status              text        NULL CHECK (corrected_status IN ('on_time', 'late', 'left_early', 'absent')),
    corrected_late_minutes        integer     NULL,
    corrected_left_early_minutes  integer     NULL,
    correction_reason             text        NULL,
    corrected_by                  text        NULL,
    corrected_at                  timestamptz NULL,
    correction_command_id         text        NULL
);
CREATE INDEX attendance_studio_day ON attendance (studio_id, local_day, starts_at);
CREATE INDEX attendance_host_day ON attendance (host_id, local_day, starts_at);

-- Entries whose attendance is to be (re)computed once their window has closed.
CREATE TABLE attendance_dirty (
    entry_id  text PRIMARY KEY REFERENCES schedule_entries (entry_id) ON DELETE CASCADE
);
INSERT INTO attendance_dirty (entry_id) SELECT entry_id FROM schedule_entries WHERE ends_at IS NOT NULL;

-- The studio's attendance settings; a studio without a row has the defaults (5 minutes' grace).
CREATE TABLE studio_attendance (
    studio_id      text PRIMARY KEY,
    grace_minutes  integer     NOT NULL CHECK (grace_minutes BETWEEN 0 AND 240),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Attribution policy changes: the policy in force at an entry's start governs its window (none: 'schedule').
CREATE TABLE attribution_policies (
    studio_id       text        NOT NULL,
    effective_from  timestamptz NOT NULL,
    policy          text        NOT NULL CHECK (policy IN ('schedule', 'check_in_required')),
    PRIMARY KEY (studio_id, effective_from)
);

-- migrate:down
DROP TABLE IF EXISTS attribution_policies;
DROP TABLE IF EXISTS studio_attendance;
DROP TABLE IF EXISTS attendance_dirty;
DROP TABLE IF EXISTS attendance;
