-- migrate:up
CREATE TABLE widgets (id integer PRIMARY KEY, total bigint NOT NULL DEFAULT 0);

-- migrate:down
DROP TABLE widgets;
