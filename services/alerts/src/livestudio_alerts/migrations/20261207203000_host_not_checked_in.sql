-- migrate:up
-- The host_not_checked_in rule (issue #22, once attendance exists): a host rostered on an entry that started
-- `minutes` ago has not checked in for it.
ALTER TABLE rules DROP CONSTRAINT rules_kind_check;
ALTER TABLE rules ADD CONSTRAINT rules_kind_check
    CHECK (kind IN ('account_unhealthy', 'shift_not_live', 'host_not_checked_in', 'roas_below', 'data_stale',
                    'gmv_pace'));

-- migrate:down
DELETE FROM rules WHERE kind = 'host_not_checked_in';
ALTER TABLE rules DROP CONSTRAINT rules_kind_check;
ALTER TABLE rules ADD CONSTRAINT rules_kind_check
    CHECK (kind IN ('account_unhealthy', 'shift_not_live', 'roas_below', 'data_stale', 'gmv_pace'));
