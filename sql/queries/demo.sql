-- The demo data (casemgr.demo): which cases are not the demo's, and which
-- tables `casemgr demo reset` empties before it loads the demo again.

-- name: cases_not_the_demos
-- The cases whose history does not begin with a load creating them with the
-- subject the demo gives their id: cases created through an API, or by
-- loading another file (even under one of the demo's ids). %(demo)s is the
-- demo's cases as [{"id": ..., "subject": ...}].
SELECT c.id
FROM support_case c
WHERE NOT EXISTS (
    SELECT 1
    FROM case_history h
    JOIN jsonb_to_recordset(%(demo)s::jsonb) AS d(id bigint, subject text) ON d.id = h.case_id
    WHERE h.case_id = c.id
      AND h.api = %(load_api)s
      AND h.previous_last_modified IS NULL
      AND h.changes @> jsonb_build_array(jsonb_build_object('field', 'case', 'new', 'created'),
                                         jsonb_build_object('field', 'subject', 'new', d.subject)))
ORDER BY c.id

-- name: demo_reset_tables
-- Every table of the schema but the ones a reset keeps (%(kept)s: the
-- migration ledger, the server key).
SELECT tablename AS name
FROM pg_tables
WHERE schemaname = current_schema() AND NOT tablename = ANY(%(kept)s)
ORDER BY tablename
