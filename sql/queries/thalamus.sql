-- Thalamus v4: creating a case, the catalogue of types by category. (Touchpoints
-- are credentials: credentials.sql.)

-- name: get_creation_facts
-- Everything the rules judge a new case on, in one round trip. The
-- classification has the shape get_edit_facts gives it, so one mapper reads both.
SELECT
    date_trunc('milliseconds', clock_timestamp()) AS now,
    (SELECT d.id FROM department d ORDER BY d.id LIMIT 1) AS party_department_id,
    (SELECT json_build_object('id', s.id, 'name', s.name, 'state', s.state)
       FROM case_status s WHERE s.is_initial OR s.state = 'open'
       ORDER BY s.is_initial DESC, s.id LIMIT 1) AS initial_status,
    classification_facts(%(category_code)s, %(type_code)s) AS classification,
    (SELECT json_build_object('id', s.id, 'name', s.name, 'state', s.state)
       FROM case_status s WHERE s.name = %(status_name)s) AS status,
    (SELECT json_build_object('id', r.id, 'name', r.name)
       FROM resolution r WHERE r.name = %(resolution_name)s) AS resolution

-- name: insert_case
-- One statement writes the whole new case: the row, its case data, its
-- comments in the order given, and the history entry of the creation.
WITH inserted AS (
    INSERT INTO support_case (department_id, customer_id, status_id, resolution_id, category_id, case_type_id,
                              created_at, last_modified, last_modified_by, last_closed)
    VALUES (%(department_id)s, %(customer_id)s, %(status_id)s, %(resolution_id)s, %(category_id)s,
            %(case_type_id)s, %(created_at)s, %(created_at)s, %(actor_user_id)s, %(last_closed)s)
    RETURNING id, last_modified
), case_data AS (
    INSERT INTO case_custom_value (case_id, custom_field_id, value)
    SELECT inserted.id, v.key::bigint, v.value FROM inserted, jsonb_each(%(custom_values)s) AS v
    RETURNING 1
), comments AS (
    INSERT INTO case_comment (case_id, description, author_user_id, author_customer_id)
    SELECT inserted.id, t.text, %(actor_user_id)s, %(actor_customer_id)s
    FROM inserted, unnest(%(comments)s::text[]) WITH ORDINALITY AS t(text, position)
    ORDER BY t.position
    RETURNING id
), history AS (
    -- The comments are recorded by the ids they got.
    INSERT INTO case_history (case_id, last_modified, api, actor_user_id, actor_customer_id, actor_client_id,
                              activity, changes)
    SELECT inserted.id, inserted.last_modified, %(api)s, %(actor_user_id)s, %(actor_customer_id)s,
           %(actor_client_id)s, %(activity)s,
           %(changes)s::jsonb || CASE WHEN cardinality(%(comments)s::text[]) = 0 THEN '[]'::jsonb
                                      ELSE jsonb_build_array(jsonb_build_object(
                                               'field', 'comments', 'old', NULL,
                                               'new', (SELECT jsonb_agg(id ORDER BY id) FROM comments))) END
    FROM inserted
    RETURNING 1
)
SELECT inserted.id, inserted.last_modified,
       (SELECT count(*) FROM case_data) + (SELECT count(*) FROM comments) + (SELECT count(*) FROM history)
           AS rows_written
FROM inserted

-- name: list_type_categories
-- Every case type with its category, for Thalamus's catalogue: the codes
-- given filter it (NULL: no filter); which entries a touchpoint sees is the
-- domain's to judge (casemgr.domain.visibility.type_categories_for).
SELECT cat.id AS category_id, cat.code AS category_code, cat.name AS category_name,
       cat.is_system AS category_is_system, t.code AS type_code, t.name AS type_name,
       t.visible_in_app, t.default_answer,
       COALESCE((SELECT json_agg(json_build_object('id', d.id, 'name', d.name, 'data_type', d.data_type,
                                                   'allowed_values', d.allowed_values) ORDER BY d.position, d.id)
                 FROM custom_field d WHERE d.case_type_id = t.id), '[]'::json) AS fields
FROM case_type t JOIN category cat ON cat.id = t.category_id
WHERE (%(type_code)s::text IS NULL OR t.code = %(type_code)s)
  AND (%(category_code)s::text IS NULL OR cat.code = %(category_code)s)
ORDER BY cat.code, t.code
