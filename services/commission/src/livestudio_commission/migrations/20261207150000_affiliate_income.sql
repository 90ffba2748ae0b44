-- migrate:up
-- Affiliate commission income (issue #21): each checkout's newest known state, and its exact parts per host.
CREATE TABLE affiliate_checkouts (
    account_id          text        NOT NULL,
    checkout_id         text        NOT NULL,
    studio_id           text        NOT NULL,
    source              text        NOT NULL,  -- live | video | other
    status              text        NOT NULL,  -- pending | completed | cancelled | other
    purchased_at        timestamptz NOT NULL,
    currency            text        NOT NULL,
    timezone            text        NOT NULL,
    estimated           numeric     NULL,
    estimated_with_mcn  numeric     NULL,
    final               numeric     NULL,
    final_with_mcn      numeric     NULL,
    gmv                 numeric     NULL,
    observed_at         timestamptz NOT NULL,  -- the newest applied observation: older and equal ones are ignored
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, checkout_id)
);
CREATE INDEX affiliate_checkouts_purchased ON affiliate_checkouts (account_id, purchased_at);

-- Read model for the gateway: a checkout's figures split over the hosts on air (host_id NULL = unassigned);
-- the parts of a checkout add up to its figures exactly. local_day: the purchase's local day (studio timezone).
CREATE TABLE affiliate_parts (
    studio_id           text        NOT NULL,
    account_id          text        NOT NULL,
    checkout_id         text        NOT NULL,
    host_id             text        NULL,
    window_key          text        NOT NULL DEFAULT '',
    session_id          bigint      NULL,
    local_day           date        NOT NULL,
    source              text        NOT NULL,
    status              text        NOT NULL,
    currency            text        NOT NULL,
    estimated           numeric     NULL,
    estimated_with_mcn  numeric     NULL,
    final               numeric     NULL,
    final_with_mcn      numeric     NULL,
    gmv                 numeric     NULL
);
CREATE UNIQUE INDEX affiliate_parts_key ON affiliate_parts (account_id, checkout_id, (coalesce(host_id, '')), window_key);
CREATE INDEX affiliate_parts_studio_day ON affiliate_parts (studio_id, local_day);
CREATE INDEX affiliate_parts_host_day ON affiliate_parts (host_id, local_day);
CREATE INDEX affiliate_parts_session ON affiliate_parts (account_id, session_id);

-- migrate:down
DROP TABLE affiliate_parts;
DROP TABLE affiliate_checkouts;
