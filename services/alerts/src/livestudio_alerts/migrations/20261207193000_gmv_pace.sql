-- migrate:up
-- The gmv_pace rule (issues #20, #22): a month's GMV target behind pace; `elapsed_percent` = how much of the
-- month must have passed before a target is judged (NULL: the default, 20).
ALTER TABLE rules DROP CONSTRAINT rules_kind_check;
ALTER TABLE rules ADD CONSTRAINT rules_kind_check
    CHECK (kind IN ('account_unhealthy', 'shift_not_live', 'roas_below', 'data_stale', 'gmv_pace'));
ALTER TABLE rules ADD COLUMN elapsed_percent integer NULL CHECK (elapsed_percent BETWEEN 0 AND 100);

-- migrate:down
ALTER TABLE rules DROP COLUMN elapsed_percent;
DELETE FROM rules WHERE kind = 'gmv_pace';
ALTER TABLE rules DROP CONSTRAINT rules_kind_check;
ALTER TABLE rules ADD CONSTRAINT rules_kind_check
    CHECK (kind IN ('account_unhealthy', 'shift_not_live', 'roas_below', 'data_stale'));
