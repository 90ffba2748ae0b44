-- migrate:up
-- Identity (issue #18): organisations and the studios they own, users, invitations, password resets, browser
-- sessions with rotating refresh tokens, service keys, sign-in throttling and the audit trail.
CREATE TABLE organisations (
    org_id      text PRIMARY KEY,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A studio belongs to at most one organisation.
CREATE TABLE org_studios (
    studio_id     text PRIMARY KEY,
    org_id        text        NOT NULL REFERENCES organisations (org_id),
    registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX org_studios_org ON org_studios (org_id, studio_id);

CREATE TABLE users (
    user_id       text PRIMARY KEY,
    org_id        text        NOT NULL REFERENCES organisations (org_id),
    email         text        NOT NULL UNIQUE CHECK (email = lower(email)),
    name          text        NOT NULL DEFAULT '',
    password_hash text,
    role          text        NOT NULL CHECK (role IN ('owner', 'manager', 'host')),
    studios       text[]      NOT NULL DEFAULT '{}',
    host_id       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_org ON users (org_id, email);

CREATE TABLE invitations (
    invitation_id text PRIMARY KEY,
    token_hash    bytea       NOT NULL UNIQUE,
    org_id        text        NOT NULL REFERENCES organisations (org_id),
    email         text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('manager', 'host')),
    studios       text[]      NOT NULL DEFAULT '{}',
    host_id       text,
    invited_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX invitations_org ON invitations (org_id, created_at);

CREATE TABLE password_resets (
    token_hash  bytea PRIMARY KEY,
    user_id     text        NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- One browser session = one family of refresh tokens; revoking the session ends every token of the family.
CREATE TABLE sessions (
    session_id     text PRIMARY KEY,
    user_id        text        NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  text        NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE service_keys (
    key_id       text PRIMARY KEY,
    org_id       text        NOT NULL REFERENCES organisations (org_id),
    name         text        NOT NULL,
    studios      text[]      NOT NULL,
    secret_hash  bytea       NOT NULL,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX service_keys_org ON service_keys (org_id, created_at);

-- Failed sign-ins per key ('account:<email>' or 'address:<ip>'); the delay grows with the failures.
CREATE TABLE signin_throttle (
    key             text PRIMARY KEY,
    failures        integer     NOT NULL,
    last_failure_at timestamptz NOT NULL,
    blocked_until   timestamptz
);

CREATE TABLE audit_log (
    audit_id    bigserial PRIMARY KEY,
    org_id      text,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    actor_role  text,
    action      text        NOT NULL,
    target      text,
    studio_id   text,
    detail      jsonb       NOT NULL DEFAULT '{}',
    address     text
);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at DESC, audit_id DESC);

-- Existing data moves into an organisation: a default organisation owns every studio known now.
INSERT INTO organisations (org_id, name) VALUES ('default', 'Default organisation');
DO $$
BEGIN
    IF to_regclass('commission.studios') IS NOT NULL THEN
        INSERT INTO org_studios (studio_id, org_id)
        SELECT studio_id, 'default' FROM commission.studios
        ON CONFLICT (studio_id) DO NOTHING;
    END IF;
END
$$;

-- migrate:down
DROP TABLE audit_log, signin_throttle, service_keys, refresh_tokens, sessions, password_resets, invitations,
    users, org_studios, organisations;
