-- migrate:up
-- Accounts the ingest polls. The gateway reads this table; credentials live in account_credentials only.
CREATE SEQUENCE account_config_seq;

CREATE TABLE accounts (
    account_id               text        PRIMARY KEY,
    studio_id                text        NOT NULL,
    display_name             text        NOT NULL,
    region                   text        NOT NULL DEFAULT 'co.id',
    shopee_user_id           bigint      NULL,
    shopee_user_name         text        NULL,
    state                    text        NOT NULL
        CHECK (state IN ('connected', 'active', 'paused', 'credentials_expired', 'degraded', 'removed')),
    last_successful_poll_at  timestamptz NULL,
    last_error               text        NULL,
    on_air_session_id        bigint      NULL,
    -- bumped by every command/CLI change; runtime writes by the poller only apply to the version they saw
    config_seq               bigint      NOT NULL DEFAULT nextval('account_config_seq'),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_studio_idx ON accounts (studio_id);
CREATE INDEX accounts_shopee_user_idx ON accounts (shopee_user_id) WHERE state <> 'removed';

-- The cookie, encrypted (Fernet, key from INGEST_CREDENTIALS_KEYS). Never read by anything but the ingest.
CREATE TABLE account_credentials (
    account_id         text        PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
    cookie_ciphertext  text        NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- QR logins in progress (the gateway shows the QR image and the progress).
CREATE TABLE qr_logins (
    login_id       text        PRIMARY KEY,
    account_id     text        NOT NULL,
    studio_id      text        NOT NULL,
    display_name   text        NOT NULL,
    region         text        NOT NULL DEFAULT 'co.id',
    state          text        NOT NULL CHECK (state IN ('new', 'scanned', 'confirmed', 'expired', 'failed')),
    qrcode_base64  text        NULL,
    error          text        NULL,
    qrcode_id      text        NULL,
    lease_owner    text        NULL,
    lease_until    timestamptz NULL,
    expires_at     timestamptz NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX qr_logins_open_idx ON qr_logins (created_at) WHERE state IN ('new', 'scanned');

-- Outcome of every command applied, written in the same transaction as its effect.
CREATE TABLE command_results (
    command_id  text        PRIMARY KEY,
    kind        text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('applied', 'rejected')),
    error       text        NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Per-account poll state that survives restarts.
CREATE TABLE poll_state (
    account_id        text        PRIMARY KEY,
    history_read_at   timestamptz NULL,   -- wall clock of the last liveList/v2 re-read
    status_published  text        NULL,   -- state carried by the last account-status event published
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Per-session poll state: liveness signals, what was published (hashes, merged figures), ended once.
CREATE TABLE session_state (
    account_id        text        NOT NULL,
    session_id        bigint      NOT NULL,
    started_at        timestamptz NOT NULL,
    title             text        NULL,
    duration_ms       bigint      NULL,
    shopee_status     integer     NULL,
    last_end          timestamptz NULL,
    end_advanced_at   timestamptz NULL,
    ended             boolean     NOT NULL DEFAULT false,
    ended_at          timestamptz NULL,
    ended_published   boolean     NOT NULL DEFAULT false,
    list_hash         text        NULL,
    snapshot_hash     text        NULL,
    items_hash        text        NULL,
    corrected_hash    text        NULL,
    metrics           jsonb       NULL,   -- merge of every published observation
    last_observed_at  timestamptz NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, session_id)
);
CREATE INDEX session_state_started_idx ON session_state (started_at);

-- migrate:down
DROP TABLE session_state;
DROP TABLE poll_state;
DROP TABLE command_results;
DROP TABLE qr_logins;
DROP TABLE account_credentials;
DROP TABLE accounts;
DROP SEQUENCE account_config_seq;
