-- Views that shape rows the way the domain reads them, so each query that
-- loads facts for a rule stays one short SELECT.

CREATE VIEW user_facts AS
SELECT u.id, u.login, u.first_name, u.last_name, u.email, u.disabled, u.licenses, u.actions,
       u.home_department_id,
       ARRAY(SELECT f.department_id FROM user_foreign_department f WHERE f.user_id = u.id ORDER BY 1)
           AS foreign_department_ids,
       ARRAY(SELECT p.target_user_id FROM user_permission p
             WHERE p.user_id = u.id AND p.permission = 'Transfer Activities' ORDER BY 1) AS may_transfer_to,
       ARRAY(SELECT p.target_user_id FROM user_permission p
             WHERE p.user_id = u.id AND p.permission = 'Pull Activities' ORDER BY 1) AS may_pull_from
FROM app_user u;

CREATE VIEW case_related_ids AS
SELECT c.id AS case_id,
       ARRAY(SELECT r.high_case_id FROM case_relation r WHERE r.low_case_id = c.id
             UNION ALL
             SELECT r.low_case_id FROM case_relation r WHERE r.high_case_id = c.id
             ORDER BY 1) AS related_ids
FROM support_case c;

CREATE VIEW case_facts AS
SELECT c.id, c.department_id, c.owner_id, c.customer_id, c.status_id,
       s.name AS status_name, s.state AS status_state,
       c.severity, c.subject, c.description, c.solution, c.due_date,
       c.category_id, c.case_type_id, c.resolution_id, c.last_modified, c.last_closed,
       r.related_ids,
       COALESCE((SELECT jsonb_object_agg(v.custom_field_id, v.value)
                 FROM case_custom_value v WHERE v.case_id = c.id), '{}'::jsonb) AS custom_values
FROM support_case c
JOIN case_status s ON s.id = c.status_id
JOIN case_related_ids r ON r.case_id = c.id;
