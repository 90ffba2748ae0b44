-- migrate:up
-- An account never changes studio (issue #17): the commands refuse it, and so does the database.
CREATE FUNCTION refuse_account_studio_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.studio_id IS DISTINCT FROM OLD.studio_id THEN
        RAISE EXCEPTION 'account % never changes studio (% -> %)', OLD.account_id, OLD.studio_id, NEW.studio_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accounts_keep_studio BEFORE UPDATE OF studio_id ON accounts
    FOR EACH ROW EXECUTE FUNCTION refuse_account_studio_change();

-- migrate:down
DROP TRIGGER accounts_keep_studio ON accounts;
DROP FUNCTION refuse_account_studio_change();
