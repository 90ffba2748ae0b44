-- migrate:up
-- An entity never changes studio (issue #17): the commands refuse it, and so does the database.
CREATE FUNCTION refuse_studio_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.studio_id IS DISTINCT FROM OLD.studio_id THEN
        RAISE EXCEPTION 'an entity of % never changes studio (% -> %)', TG_TABLE_NAME, OLD.studio_id, NEW.studio_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER hosts_keep_studio BEFORE UPDATE OF studio_id ON hosts
    FOR EACH ROW EXECUTE FUNCTION refuse_studio_change();
CREATE TRIGGER shifts_keep_studio BEFORE UPDATE OF studio_id ON shifts
    FOR EACH ROW EXECUTE FUNCTION refuse_studio_change();
CREATE TRIGGER schedule_entries_keep_studio BEFORE UPDATE OF studio_id ON schedule_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_studio_change();
CREATE TRIGGER pay_rules_keep_studio BEFORE UPDATE OF studio_id ON pay_rules
    FOR EACH ROW EXECUTE FUNCTION refuse_studio_change();
CREATE TRIGGER statements_keep_studio BEFORE UPDATE OF studio_id ON statements
    FOR EACH ROW EXECUTE FUNCTION refuse_studio_change();

-- Every version of a pay rule belongs to the same studio (or all are global): a new version cannot move it.
CREATE FUNCTION refuse_rule_version_elsewhere() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pay_rules p WHERE p.rule_id = NEW.rule_id
               AND p.studio_id IS DISTINCT FROM NEW.studio_id) THEN
        RAISE EXCEPTION 'pay rule % belongs to another studio', NEW.rule_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER pay_rules_one_studio BEFORE INSERT ON pay_rules
    FOR EACH ROW EXECUTE FUNCTION refuse_rule_version_elsewhere();

-- migrate:down
DROP TRIGGER pay_rules_one_studio ON pay_rules;
DROP FUNCTION refuse_rule_version_elsewhere();
DROP TRIGGER statements_keep_studio ON statements;
DROP TRIGGER pay_rules_keep_studio ON pay_rules;
DROP TRIGGER schedule_entries_keep_studio ON schedule_entries;
DROP TRIGGER shifts_keep_studio ON shifts;
DROP TRIGGER hosts_keep_studio ON hosts;
DROP FUNCTION refuse_studio_change();
