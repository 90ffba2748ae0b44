-- migrate:up
-- A channel or rule never changes studio (issue #17): the commands refuse it, and so does the database.
CREATE FUNCTION refuse_studio_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.studio_id IS DISTINCT FROM OLD.studio_id THEN
        RAISE EXCEPTION 'an entity of % never changes studio (% -> %)', TG_TABLE_NAME, OLD.studio_id, NEW.studio_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER channels_keep_studio BEFORE UPDATE OF studio_id ON channels
    FOR EACH ROW EXECUTE FUNCTION refuse_studio_change();
CREATE TRIGGER rules_keep_studio BEFORE UPDATE OF studio_id ON rules
    FOR EACH ROW EXECUTE FUNCTION refuse_studio_change();

-- migrate:down
DROP TRIGGER rules_keep_studio ON rules;
DROP TRIGGER channels_keep_studio ON channels;
DROP FUNCTION refuse_studio_change();
