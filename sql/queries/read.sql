-- Reads: cases as the APIs show them.

-- name: get_case_views
-- Cases by id, in the order the ids are given (case_view resolves every name
-- a representation shows). Comments only grow, so a read loads only the
-- newest comment_limit of them (oldest first) and their total; a read that
-- shows none (eGain) passes 0 and reads no comment at all: the CASE runs the
-- subqueries only when asked.
SELECT v.*,
       CASE WHEN %(comment_limit)s > 0 THEN
           COALESCE((SELECT json_agg(json_build_object('id', cm.id, 'description', cm.description,
                                                       'created_at', cm.created_at) ORDER BY cm.id)
                     FROM (SELECT id, description, created_at FROM case_comment
                           WHERE case_id = v.id ORDER BY id DESC LIMIT %(comment_limit)s) cm), '[]'::json)
       ELSE '[]'::json END AS comments,
       CASE WHEN %(comment_limit)s > 0 THEN
           (SELECT count(*) FROM case_comment cm WHERE cm.case_id = v.id)
       ELSE 0 END AS comment_count
FROM case_view v
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

-- name: list_statuses
SELECT name, is_initial, state::text AS state FROM case_status ORDER BY id

-- name: get_own_cases
-- A page of a principal's own cases, newest first (Thalamus's case list):
-- an operator's (owner_id) or a party's (customer_id), among the departments
-- it sees (NULL: every one) and the categories its touchpoint reaches (NULL:
-- every one), leaving out the cases of a type not visible in the app
-- (migration 0012). The parameters are casemgr.domain.visibility.OwnCasesSight.
WITH page AS (
    SELECT c.id, c.created_at FROM support_case c
    LEFT JOIN case_type t ON t.id = c.case_type_id
    WHERE ((%(owner_id)s::bigint IS NOT NULL AND c.owner_id = %(owner_id)s)
           OR (%(customer_id)s::bigint IS NOT NULL AND c.customer_id = %(customer_id)s))
      AND (%(departments)s::bigint[] IS NULL OR c.department_id = ANY(%(departments)s::bigint[]))
      AND (%(category_ids)s::bigint[] IS NULL OR c.category_id = ANY(%(category_ids)s::bigint[]))
      AND coalesce(t.visible_in_app, true)
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT %(limit)s OFFSET %(skip)s
)
SELECT v.*,
       CASE WHEN %(comment_limit)s > 0 THEN
           COALESCE((SELECT json_agg(json_build_object('id', cm.id, 'description', cm.description,
                                                       'created_at', cm.created_at) ORDER BY cm.id)
                     FROM (SELECT id, description, created_at FROM case_comment
                           WHERE case_id = v.id ORDER BY id DESC LIMIT %(comment_limit)s) cm), '[]'::json)
       ELSE '[]'::json END AS comments,
       CASE WHEN %(comment_limit)s > 0 THEN
           (SELECT count(*) FROM case_comment cm WHERE cm.case_id = v.id)
       ELSE 0 END AS comment_count
FROM page JOIN case_view v ON v.id = page.id
ORDER BY page.created_at DESC, page.id DESC
