-- eGain's read side: who sees which case, the case as every read shows it,
-- and what case search filters and sorts on, each with its index.

-- A customer's phone number, as eGain's case search matches it: unformatted
-- (digits, after an optional +), so a search never misses a number stored
-- with spaces or hyphens.
ALTER TABLE customer ADD COLUMN phone text CHECK (phone ~ '^\+?[0-9]{1,31}$');
CREATE INDEX customer_phone ON customer (phone) WHERE phone IS NOT NULL;

-- Case search by custom attribute: an exact match on the value as a read
-- shows it (a jsonb scalar's text), per attribute.
CREATE INDEX case_custom_value_search ON case_custom_value (custom_field_id, (value #>> '{}'));

-- The departments that share with the user's home department with activity
-- sharing on: with the home and foreign departments, the ones whose cases
-- the user sees (casemgr.domain.model.UserFacts.visible_department_ids).
-- Appended to user_facts, so every credential check loads it with the user.
CREATE OR REPLACE VIEW user_facts AS
SELECT u.id, u.login, u.first_name, u.last_name, u.email, u.disabled, u.licenses, u.actions,
       u.home_department_id,
       ARRAY(SELECT f.department_id FROM user_foreign_department f WHERE f.user_id = u.id ORDER BY 1)
           AS foreign_department_ids,
       ARRAY(SELECT p.target_user_id FROM user_permission p
             WHERE p.user_id = u.id AND p.permission = 'Transfer Activities' ORDER BY 1) AS may_transfer_to,
       ARRAY(SELECT p.target_user_id FROM user_permission p
             WHERE p.user_id = u.id AND p.permission = 'Pull Activities' ORDER BY 1) AS may_pull_from,
       ARRAY(SELECT s.department_id FROM department_share s
             WHERE s.shared_with_id = u.home_department_id AND s.activity_sharing ORDER BY 1)
           AS shared_department_ids
FROM app_user u;

-- A case as the reads show it, every name resolved: what reading by ids
-- (get_case_views, which adds the newest comments when a representation
-- shows them) and case search (search_cases, eGain's: no comments) answer
-- with. Comments are left out here: they only grow, and a read bounds them.
CREATE VIEW case_view AS
SELECT f.id, f.department_id, d.name AS department_name,
       f.owner_id, o.login AS owner_login, o.first_name AS owner_first_name, o.last_name AS owner_last_name,
       f.customer_id, cu.name AS customer_name,
       f.status_name, f.status_state, f.severity, f.subject, f.description, f.solution, f.due_date,
       f.last_modified, c.last_modified_by, m.login AS last_modified_by_login, f.last_closed,
       c.created_at, f.related_ids,
       cat.code AS category_code, cat.name AS category_name,
       t.code AS type_code, t.name AS type_name, res.name AS resolution_name,
       COALESCE((SELECT json_agg(json_build_object('name', cf.name, 'value', v.value, 'case_type_id', cf.case_type_id,
                                                   'data_type', cf.data_type)
                                 ORDER BY cf.position, cf.id)
                 FROM case_custom_value v JOIN custom_field cf ON cf.id = v.custom_field_id
                 WHERE v.case_id = f.id
                   AND (cf.case_type_id IS NULL OR cf.case_type_id = f.case_type_id)), '[]'::json) AS custom_values
FROM case_facts f
JOIN support_case c ON c.id = f.id
JOIN department d ON d.id = f.department_id
LEFT JOIN app_user o ON o.id = f.owner_id
LEFT JOIN app_user m ON m.id = c.last_modified_by
LEFT JOIN customer cu ON cu.id = f.customer_id
LEFT JOIN category cat ON cat.id = f.category_id
LEFT JOIN case_type t ON t.id = f.case_type_id
LEFT JOIN resolution res ON res.id = f.resolution_id;
