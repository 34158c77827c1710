-- The write path every API's edit takes: lock, load facts, apply.

-- name: use_generic_plans
-- The edit's statements look rows up by key: their best plan does not depend
-- on the values. Left to choose, Postgres re-plans get_edit_facts on every
-- call (its NULL parameters make each custom plan look cheaper than the
-- generic one), and planning it costs several times more than running it.
SET LOCAL plan_cache_mode = force_generic_plan

-- name: lock_cases
-- Locks the edited case and every case it links or unlinks, in ascending id
-- order: all edits lock in the same order, so they never deadlock. Facts are
-- read by the *next* statement, whose snapshot starts after the locks are held.
SELECT id FROM support_case WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE

-- name: get_edit_facts
-- Everything the rules judge an edit on, in one round trip. Parameters that do
-- not apply to the command are NULL and their column comes back NULL.
SELECT
    date_trunc('milliseconds', clock_timestamp()) AS now,
    (SELECT row_to_json(f) FROM case_facts f WHERE f.id = %(case_id)s) AS case_row,
    (SELECT row_to_json(u) FROM user_facts u WHERE u.id = %(owner_id)s) AS new_owner,
    (SELECT json_agg(json_build_object(
                'id', f.id, 'department_id', f.department_id,
                'related_ids', f.related_ids, 'last_modified', f.last_modified))
       FROM case_facts f WHERE f.id = ANY(%(other_ids)s)) AS linked_cases,
    ARRAY(SELECT ds.department_id FROM department_share ds
          WHERE ds.shared_with_id = %(home_department_id)s AND ds.activity_sharing) AS sharing_departments,
    (SELECT json_agg(json_build_object('id', d.id, 'name', d.name, 'data_type', d.data_type,
                                       'allowed_values', d.allowed_values) ORDER BY d.position, d.id)
       FROM custom_field d WHERE d.case_type_id IS NULL AND %(want_custom_attributes)s) AS custom_attributes,
    -- eGain edits name no category: skip the function call for them
    CASE WHEN %(category_code)s::text IS NOT NULL
         THEN classification_facts(%(category_code)s, %(type_code)s) END AS classification,
    (SELECT json_build_object('id', s.id, 'name', s.name, 'state', s.state)
       FROM case_status s WHERE s.name = %(status_name)s) AS status,
    (SELECT json_build_object('id', r.id, 'name', r.name)
       FROM resolution r WHERE r.name = %(resolution_name)s) AS resolution

-- name: apply_case_update
-- One statement writes the whole accepted edit: the case row, relations at
-- both ends, custom values, comments, and the history entries.
WITH updated AS (
    UPDATE support_case SET
        owner_id      = CASE WHEN %(set_owner_id)s      THEN %(owner_id)s      ELSE owner_id END,
        severity      = CASE WHEN %(set_severity)s      THEN %(severity)s::case_severity ELSE severity END,
        subject       = CASE WHEN %(set_subject)s       THEN %(subject)s       ELSE subject END,
        description   = CASE WHEN %(set_description)s   THEN %(description)s   ELSE description END,
        solution      = CASE WHEN %(set_solution)s      THEN %(solution)s      ELSE solution END,
        due_date      = CASE WHEN %(set_due_date)s      THEN %(due_date)s      ELSE due_date END,
        category_id   = CASE WHEN %(set_category_id)s   THEN %(category_id)s   ELSE category_id END,
        case_type_id  = CASE WHEN %(set_case_type_id)s  THEN %(case_type_id)s  ELSE case_type_id END,
        status_id     = CASE WHEN %(set_status_id)s     THEN %(status_id)s     ELSE status_id END,
        resolution_id = CASE WHEN %(set_resolution_id)s THEN %(resolution_id)s ELSE resolution_id END,
        last_closed   = CASE WHEN %(set_last_closed)s   THEN %(last_closed)s   ELSE last_closed END,
        last_modified = %(last_modified)s,
        last_modified_by = %(last_modified_by)s
    WHERE id = %(case_id)s
    RETURNING id, last_modified
), other_ends AS (
    UPDATE support_case c SET last_modified = o.last_modified, last_modified_by = %(last_modified_by)s
    FROM jsonb_to_recordset(%(other_ends)s) AS o(case_id bigint, last_modified timestamptz, change jsonb)
    WHERE c.id = o.case_id
    RETURNING c.id
), linked AS (
    INSERT INTO case_relation (low_case_id, high_case_id)
    SELECT least(%(case_id)s, other), greatest(%(case_id)s, other)
    FROM unnest(%(link)s::bigint[]) AS other
    ON CONFLICT DO NOTHING
    RETURNING 1
), unlinked AS (
    DELETE FROM case_relation
    WHERE (low_case_id, high_case_id) IN (
        SELECT least(%(case_id)s, other), greatest(%(case_id)s, other)
        FROM unnest(%(unlink)s::bigint[]) AS other)
    RETURNING 1
), values_set AS (
    INSERT INTO case_custom_value (case_id, custom_field_id, value)
    SELECT %(case_id)s, key::bigint, value FROM jsonb_each(%(custom_set)s)
    ON CONFLICT (case_id, custom_field_id) DO UPDATE SET value = EXCLUDED.value
    RETURNING 1
), values_removed AS (
    DELETE FROM case_custom_value
    WHERE case_id = %(case_id)s AND custom_field_id = ANY(%(custom_removed)s::bigint[])
    RETURNING 1
), comments AS (
    INSERT INTO case_comment (case_id, description, author_user_id, author_customer_id)
    SELECT %(case_id)s, text, %(actor_user_id)s, %(actor_customer_id)s
    FROM unnest(%(comments)s::text[]) WITH ORDINALITY AS t(text, position)
    ORDER BY position
    RETURNING 1
), history AS (
    INSERT INTO case_history (case_id, last_modified, api, actor_user_id, actor_customer_id, actor_client_id, changes)
    SELECT %(case_id)s, %(last_modified)s, %(api)s, %(actor_user_id)s, %(actor_customer_id)s, %(actor_client_id)s,
           %(changes)s
    UNION ALL
    SELECT o.case_id, o.last_modified, %(api)s, %(actor_user_id)s, %(actor_customer_id)s, %(actor_client_id)s,
           jsonb_build_array(o.change)
    FROM jsonb_to_recordset(%(other_ends)s) AS o(case_id bigint, last_modified timestamptz, change jsonb)
    RETURNING 1
)
SELECT (SELECT last_modified FROM updated) AS last_modified,
       (SELECT count(*) FROM other_ends) + (SELECT count(*) FROM linked) + (SELECT count(*) FROM unlinked)
     + (SELECT count(*) FROM values_set) + (SELECT count(*) FROM values_removed)
     + (SELECT count(*) FROM comments) + (SELECT count(*) FROM history) AS rows_written
