-- migrate:up
-- Monthly confirmed-GMV targets (issue #20): of a studio, one of its accounts or one of its hosts, for a month of
-- the studio's calendar (`month` = its first local day), in the studio's currency. The key holds the studio, so a
-- target never names another studio's entity. `set_at` is the issued_at of the command that set it.
CREATE TABLE targets (
    studio_id   text        NOT NULL,
    month       date        NOT NULL CHECK (extract(day FROM month) = 1),
    scope       text        NOT NULL CHECK (scope IN ('studio', 'account', 'host')),
    scope_id    text        NOT NULL,
    amount      numeric     NOT NULL CHECK (amount > 0),
    set_at      timestamptz NOT NULL,
    set_by      text        NOT NULL,
    command_id  text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (studio_id, month, scope, scope_id),
    CHECK (scope <> 'studio' OR scope_id = studio_id)
);
-- the alerts service judges the current month of every studio
CREATE INDEX targets_month ON targets (month);

-- migrate:down
DROP TABLE targets;
