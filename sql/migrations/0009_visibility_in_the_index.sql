-- Visibility inside the index scan: case search and the change feed read
-- only the rows of the cases their principal sees, never the others.
--
-- Who sees a case is decided by the case's department (a user sees the
-- departments of UserFacts.visible_department_ids) or its customer (a
-- customer sees its own cases): casemgr.domain.permissions.check_may_read_case.
-- A search by a custom attribute finds its candidates in case_custom_value,
-- the feed its changes in case_history; neither row knew its case's
-- department, so both scanned past every row of a case the principal does
-- not see before a join to support_case could leave it out: a search or a
-- feed page cost what the principal cannot see. Each row now carries its
-- case's department (and a custom value its case's customer), and the
-- indexes put the department right after what is searched for, so the scan
-- asks for each department the principal sees, and for nothing else
-- (sql/queries/search.sql, get_change_feed in sql/queries/history.sql).
--
-- The copies are the case's: a trigger fills them on every insert, whatever
-- the writer sends, and another moves them with the case when its
-- department or customer changes (a load does that). Every writer of a
-- case's history and values holds the case's row lock (migration 0005), as
-- does the update that moves a case, so a copy never misses a move.

ALTER TABLE case_custom_value ADD COLUMN department_id bigint, ADD COLUMN customer_id bigint;
UPDATE case_custom_value v SET department_id = c.department_id, customer_id = c.customer_id
FROM support_case c WHERE c.id = v.case_id;
ALTER TABLE case_custom_value ALTER COLUMN department_id SET NOT NULL;

ALTER TABLE case_history ADD COLUMN department_id bigint;
UPDATE case_history h SET department_id = c.department_id FROM support_case c WHERE c.id = h.case_id;
ALTER TABLE case_history ALTER COLUMN department_id SET NOT NULL;

-- Set on every insert from the case itself: what a writer sends is ignored.
CREATE FUNCTION case_custom_value_reach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.department_id, c.customer_id INTO NEW.department_id, NEW.customer_id
    FROM support_case c WHERE c.id = NEW.case_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER case_custom_value_reach BEFORE INSERT ON case_custom_value
FOR EACH ROW EXECUTE FUNCTION case_custom_value_reach();

CREATE FUNCTION case_history_reach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.department_id := (SELECT c.department_id FROM support_case c WHERE c.id = NEW.case_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER case_history_reach BEFORE INSERT ON case_history
FOR EACH ROW EXECUTE FUNCTION case_history_reach();

-- A case that moves to another department (or customer) takes its rows
-- along: what the principal sees of them is decided by where the case is now.
CREATE FUNCTION support_case_reach_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_custom_value SET department_id = NEW.department_id, customer_id = NEW.customer_id
    WHERE case_id = NEW.id;
    IF NEW.department_id IS DISTINCT FROM OLD.department_id THEN
        UPDATE case_history SET department_id = NEW.department_id WHERE case_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER support_case_reach_moved AFTER UPDATE OF department_id, customer_id ON support_case
FOR EACH ROW
WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id OR OLD.customer_id IS DISTINCT FROM NEW.customer_id)
EXECUTE FUNCTION support_case_reach_moved();

-- A customer's cases, one department at a time (search by customer, email
-- or phone): replaces the index on customer_id alone.
DROP INDEX support_case_customer;
CREATE INDEX support_case_customer_department ON support_case (customer_id, department_id, id);

-- A custom attribute's value, one department at a time, and within it one
-- customer (a customer's own search): replaces case_custom_value_search.
DROP INDEX case_custom_value_search;
CREATE INDEX case_custom_value_search
    ON case_custom_value (custom_field_id, (value #>> '{}'), department_id, customer_id, case_id);

-- The feed of one department, in feed order.
CREATE INDEX case_history_department_feed ON case_history (department_id, feed_xid, id);
