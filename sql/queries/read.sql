-- Reads: cases as the APIs show them.

-- name: get_case_views
-- Cases by id, in the order the ids are given (case_view resolves every name
-- a representation shows).
SELECT v.* FROM case_view v
WHERE v.id = ANY(%(ids)s)
ORDER BY array_position(%(ids)s, v.id)

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
