-- migrate:up
-- Studio timezones, learnt from the studio.upsert commands (owner: commission) on the commands topic.
CREATE TABLE studios (
    studio_id   text PRIMARY KEY,
    timezone    text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Where a studio's notifications go. `config` holds no secret; the secret is a Fernet token.
CREATE TABLE channels (
    channel_id         text PRIMARY KEY,
    studio_id          text        NOT NULL,
    name               text        NOT NULL,
    kind               text        NOT NULL CHECK (kind IN ('webhook', 'telegram', 'email')),
    enabled            boolean     NOT NULL DEFAULT true,
    config             jsonb       NOT NULL DEFAULT '{}',
    secret_ciphertext  text        NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channels_studio ON channels (studio_id, channel_id);

CREATE TABLE rules (
    rule_id        text PRIMARY KEY,
    studio_id      text        NOT NULL,
    kind           text        NOT NULL
        CHECK (kind IN ('account_unhealthy', 'shift_not_live', 'roas_below', 'data_stale')),
    enabled        boolean     NOT NULL DEFAULT true,
    channel_ids    text[]      NOT NULL DEFAULT '{}',
    account_id     text        NULL,
    minutes        integer     NULL,
    threshold      numeric     NULL,
    dedup_minutes  integer     NOT NULL DEFAULT 60,
    quiet_start    time        NULL,
    quiet_end      time        NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rules_studio ON rules (studio_id, rule_id);

-- The daily summary of a studio; last_day = the local day the last summary was about.
CREATE TABLE summaries (
    studio_id    text PRIMARY KEY,
    enabled      boolean     NOT NULL DEFAULT true,
    local_time   time        NOT NULL,
    channel_ids  text[]      NOT NULL DEFAULT '{}',
    last_day     date        NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- What the alerts service knows of each account, from shopee.account.v1 and shopee.live.session.v1.
CREATE TABLE accounts (
    account_id               text PRIMARY KEY,
    studio_id                text        NOT NULL,
    display_name             text        NULL,
    state                    text        NOT NULL,
    reason                   text        NULL,
    observed_at              timestamptz NOT NULL,
    last_successful_poll_at  timestamptz NULL,
    on_air_session_id        bigint      NULL,
    live_observed_at         timestamptz NULL
);
CREATE INDEX accounts_studio ON accounts (studio_id);

-- Every decision, once: notification_id is the idempotency key (also sent to the channels).
CREATE TABLE notifications (
    notification_id  text PRIMARY KEY,
    studio_id        text        NOT NULL,
    rule_id          text        NULL,
    kind             text        NOT NULL,
    subject          text        NOT NULL,
    status           text        NOT NULL
        CHECK (status IN ('queued', 'suppressed_quiet', 'suppressed_dedup', 'no_channel')),
    title            text        NOT NULL,
    body             text        NOT NULL,
    data             jsonb       NOT NULL DEFAULT '{}',
    decided_at       timestamptz NOT NULL
);
CREATE INDEX notifications_studio_time ON notifications (studio_id, decided_at DESC, notification_id);
CREATE INDEX notifications_dedup ON notifications (rule_id, subject, decided_at DESC) WHERE status = 'queued';

-- The outbox: one row per (notification, channel), retried with backoff until sent or reported failed.
CREATE TABLE deliveries (
    notification_id  text        NOT NULL REFERENCES notifications (notification_id) ON DELETE CASCADE,
    channel_id       text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text        NULL,
    sent_at          timestamptz NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, channel_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';

-- Outcome of every command the alerts service applied (the gateway shows it at GET /api/v1/commands/{id}).
CREATE TABLE command_results (
    command_id  text PRIMARY KEY,
    kind        text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('applied', 'rejected')),
    error       text,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE command_results;
DROP TABLE deliveries;
DROP TABLE notifications;
DROP TABLE accounts;
DROP TABLE summaries;
DROP TABLE rules;
DROP TABLE channels;
DROP TABLE studios;
