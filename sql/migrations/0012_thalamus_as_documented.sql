-- Thalamus v4 as its documentation and its PHP SDK use it (issue #28). Every
-- default keeps existing data working as before: a type is visible in the
-- app, a status may be followed by any status, a touchpoint reaches every
-- category, and a history entry names no activity.

-- "Not visible in APP": such a type's cases are left out of a principal's
-- case list and of GET /cases/typecategory?visibility=app.
ALTER TABLE case_type ADD COLUMN visible_in_app boolean NOT NULL DEFAULT true;
-- Thalamus's defaultAnswer of a type (GET /cases/typecategory); none: "".
ALTER TABLE case_type ADD COLUMN default_answer text NOT NULL DEFAULT '' CHECK (length(default_answer) <= 1024);

-- The statuses a status may move to. restricts_next false: any status (no
-- transitions configured); true: exactly the rows of status_transition
-- (none: the status is a dead end).
ALTER TABLE case_status ADD COLUMN restricts_next boolean NOT NULL DEFAULT false;
CREATE TABLE status_transition (
    from_status_id bigint NOT NULL REFERENCES case_status ON DELETE CASCADE,
    to_status_id   bigint NOT NULL REFERENCES case_status ON DELETE CASCADE,
    PRIMARY KEY (from_status_id, to_status_id)
);

-- The categories a touchpoint may act on. all_categories true: every one;
-- false: exactly the rows of touchpoint_category.
ALTER TABLE touchpoint ADD COLUMN all_categories boolean NOT NULL DEFAULT true;
CREATE TABLE touchpoint_category (
    touchpoint_code text   NOT NULL REFERENCES touchpoint ON DELETE CASCADE ON UPDATE CASCADE,
    category_id     bigint NOT NULL REFERENCES category ON DELETE CASCADE,
    PRIMARY KEY (touchpoint_code, category_id)
);

-- Thalamus's activity (query activity, header Thalamus-Activity) of the
-- request that wrote the entry.
ALTER TABLE case_history ADD COLUMN activity text CHECK (length(activity) BETWEEN 1 AND 255);

-- A principal's case list, newest first.
CREATE INDEX support_case_owner_created ON support_case (owner_id, created_at DESC, id DESC);
CREATE INDEX support_case_customer_created ON support_case (customer_id, created_at DESC, id DESC);

-- The read model names the case's category id: a touchpoint's reach is
-- judged on it (casemgr.domain.permissions).
CREATE OR REPLACE VIEW case_view AS
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
                   AND (cf.case_type_id IS NULL OR cf.case_type_id = f.case_type_id)), '[]'::json) AS custom_values,
       f.category_id
FROM case_facts f
JOIN support_case c ON c.id = f.id
JOIN department d ON d.id = f.department_id
LEFT JOIN app_user o ON o.id = f.owner_id
LEFT JOIN app_user m ON m.id = c.last_modified_by
LEFT JOIN customer cu ON cu.id = f.customer_id
LEFT JOIN category cat ON cat.id = f.category_id
LEFT JOIN case_type t ON t.id = f.case_type_id
LEFT JOIN resolution res ON res.id = f.resolution_id;
