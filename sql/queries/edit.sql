-- The write path every API's edit takes: lock, load facts, apply.

-- name: lock_cases
-- Locks the edited case and every case it links or unlinks, in ascending id
-- order: all edits lock in the same order, so they never deadlock. Facts are
-- read by the *next* statement, whose snapshot starts after the locks are held.
-- Nothing is locked in a transaction whose credentials were refused (the
-- resolve_* queries of credentials.sql, sent before this one, mark it), so a
-- dead credential never holds a case nor waits for one.
SELECT id FROM support_case
WHERE id = ANY(%(ids)s) AND coalesce(current_setting('casemgr.refused', true), '') <> 'yes'
ORDER BY id FOR UPDATE

-- name: get_edit_facts
-- Everything the rules judge an edit on, in one round trip. Parameters that do
-- not apply to the command are NULL and their column comes back NULL.
SELECT
    date_trunc('milliseconds', clock_timestamp()) AS now,
    (SELECT row_to_json(f) FROM case_facts f WHERE f.id = %(case_id)s) AS case_row,
    -- The new owner by id, or (Thalamus's assignment) by e-mail, without regard to case.
    (SELECT row_to_json(u) FROM user_facts u
      WHERE u.id = %(owner_id)s OR lower(u.email) = lower(%(owner_email)s) LIMIT 1) AS new_owner,
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
       FROM resolution r WHERE r.name = %(resolution_name)s) AS resolution,
    -- The statuses the case's status may move to (NULL: any), for an edit that names one.
    (SELECT CASE WHEN s.restricts_next
                 THEN ARRAY(SELECT t.to_status_id FROM status_transition t WHERE t.from_status_id = s.id) END
       FROM support_case c JOIN case_status s ON s.id = c.status_id
      WHERE c.id = %(case_id)s AND %(status_name)s::text IS NOT NULL) AS next_status_ids,
    -- The comments an edit rewrites, whatever case they belong to (the rules judge that).
    (SELECT json_agg(json_build_object('id', cm.id, 'case_id', cm.case_id, 'description', cm.description,
                                       'author_customer_id', cm.author_customer_id))
       FROM case_comment cm WHERE cm.id = ANY(%(comment_ids)s::bigint[])) AS comments

-- name: get_case_edit_facts
-- The facts of an edit that is judged on the case alone (no new owner,
-- related cases, custom attributes, classification, status or resolution):
-- get_edit_facts's first two columns. Postgres starts up every subquery of a
-- statement's plan whether or not it runs, so the full statement costs the
-- common edit several times what it reads.
SELECT
    date_trunc('milliseconds', clock_timestamp()) AS now,
    (SELECT row_to_json(f) FROM case_facts f WHERE f.id = %(case_id)s) AS case_row

-- name: apply_case_row_update
-- Writes the case row and, unless record_history is false, the case's history
-- entry. An edit that also links, unlinks, sets custom values or adds comments
-- runs apply_related_changes after it, in the same transaction, which writes
-- the entry instead (it records the ids of the comments it adds).
WITH updated AS (
    -- The columns parameter holds the columns the edit sets, by name. The row
    -- itself is jsonb_populate_record's base: every column the edit leaves
    -- out keeps its value, and a JSON null stores NULL.
    UPDATE support_case c SET
        (owner_id, severity, subject, description, solution, due_date, category_id, case_type_id,
         status_id, resolution_id, last_closed, last_modified, last_modified_by)
      = (SELECT n.owner_id, n.severity, n.subject, n.description, n.solution, n.due_date, n.category_id,
                n.case_type_id, n.status_id, n.resolution_id, n.last_closed, n.last_modified, n.last_modified_by
           FROM jsonb_populate_record(c, %(columns)s) n)
    WHERE c.id = %(case_id)s
    RETURNING c.id, c.last_modified
)
INSERT INTO case_history (case_id, last_modified, previous_last_modified, api, actor_user_id, actor_customer_id,
                          actor_client_id, changes, activity)
SELECT id, last_modified, %(previous_last_modified)s, %(api)s, %(actor_user_id)s, %(actor_customer_id)s,
       %(actor_client_id)s, %(changes)s, %(activity)s
FROM updated
WHERE %(record_history)s

-- name: apply_related_changes
-- The rest of an accepted edit, in one statement: relations at both ends (the
-- other end gets a new lastModified and a history entry of its own), custom
-- values, comments added and rewritten, and the case's history entry with
-- the ids of the comments added. Kept apart from apply_case_row_update because
-- Postgres starts up every CTE of a plan whether or not it has rows to
-- write: the common edit, which has none of these, never pays for them.
WITH other_ends AS (
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
    RETURNING id
), comments_rewritten AS (
    UPDATE case_comment cm SET description = e.description
    FROM jsonb_to_recordset(%(comment_edits)s) AS e(id bigint, description text)
    WHERE cm.id = e.id AND cm.case_id = %(case_id)s
    RETURNING 1
), case_history_entry AS (
    INSERT INTO case_history (case_id, last_modified, previous_last_modified, api, actor_user_id, actor_customer_id,
                              actor_client_id, activity, changes)
    SELECT %(case_id)s, %(last_modified)s, %(previous_last_modified)s, %(api)s, %(actor_user_id)s,
           %(actor_customer_id)s, %(actor_client_id)s, %(activity)s,
           %(changes)s::jsonb || CASE WHEN cardinality(%(comments)s::text[]) = 0 THEN '[]'::jsonb
                                      ELSE jsonb_build_array(jsonb_build_object(
                                               'field', 'comments', 'old', NULL,
                                               'new', (SELECT jsonb_agg(id ORDER BY id) FROM comments))) END
    RETURNING 1
), other_history AS (
    INSERT INTO case_history (case_id, last_modified, previous_last_modified, api, actor_user_id, actor_customer_id,
                              actor_client_id, activity, changes)
    SELECT o.case_id, o.last_modified, o.previous_last_modified, %(api)s, %(actor_user_id)s, %(actor_customer_id)s,
           %(actor_client_id)s, %(activity)s, jsonb_build_array(o.change)
    FROM jsonb_to_recordset(%(other_ends)s)
         AS o(case_id bigint, last_modified timestamptz, previous_last_modified timestamptz, change jsonb)
    RETURNING 1
)
SELECT (SELECT count(*) FROM other_ends) + (SELECT count(*) FROM linked) + (SELECT count(*) FROM unlinked)
     + (SELECT count(*) FROM values_set) + (SELECT count(*) FROM values_removed)
     + (SELECT count(*) FROM comments) + (SELECT count(*) FROM comments_rewritten)
     + (SELECT count(*) FROM case_history_entry)
     + (SELECT count(*) FROM other_history) AS rows_written
