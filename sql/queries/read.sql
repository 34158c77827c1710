-- Reads: cases as the APIs show them.

-- name: get_case_views
-- Cases by id, in the order the ids are given, with every name a
-- representation shows resolved in the same query. Comments only grow, so a
-- read loads only the newest comment_limit of them (oldest first) and their
-- total; a read that shows none (eGain) passes 0 and reads no comment at all:
-- the CASE runs the subqueries only when asked.
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
       CASE WHEN %(comment_limit)s > 0 THEN
           COALESCE((SELECT json_agg(json_build_object('id', cm.id, 'description', cm.description,
                                                       'created_at', cm.created_at) ORDER BY cm.id)
                     FROM (SELECT id, description, created_at FROM case_comment
                           WHERE case_id = f.id ORDER BY id DESC LIMIT %(comment_limit)s) cm), '[]'::json)
       ELSE '[]'::json END AS comments,
       CASE WHEN %(comment_limit)s > 0 THEN
           (SELECT count(*) FROM case_comment cm WHERE cm.case_id = f.id)
       ELSE 0 END AS comment_count
FROM case_facts f
JOIN support_case c ON c.id = f.id
JOIN department d ON d.id = f.department_id
LEFT JOIN app_user o ON o.id = f.owner_id
LEFT JOIN app_user m ON m.id = c.last_modified_by
LEFT JOIN customer cu ON cu.id = f.customer_id
LEFT JOIN category cat ON cat.id = f.category_id
LEFT JOIN case_type t ON t.id = f.case_type_id
LEFT JOIN resolution res ON res.id = f.resolution_id
WHERE f.id = ANY(%(ids)s)
ORDER BY array_position(%(ids)s, f.id)

-- name: get_case_facts
SELECT row_to_json(f) AS case_row FROM case_facts f WHERE f.id = %(case_id)s

-- name: get_user_facts
SELECT row_to_json(u) AS user_row FROM user_facts u WHERE u.id = %(user_id)s

-- name: list_custom_attributes
SELECT id, name, data_type::text AS data_type, allowed_values
FROM custom_field WHERE case_type_id IS NULL ORDER BY position, id

-- name: first_closed_status
SELECT id, name, state::text AS state FROM case_status WHERE state = 'closed' ORDER BY id LIMIT 1

-- name: any_case_exists
SELECT EXISTS (SELECT 1 FROM support_case) AS any_case
