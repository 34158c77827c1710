-- Case search (eGain v12 GET …/interaction/case).

-- name: search_cases
-- One page of the cases that every given filter matches exactly, among the
-- cases the principal sees, in the order asked, each row with the number of
-- all the cases found (total). NULL filters (and empty custom lists) are
-- not given; the use case refuses a search that gives none.
--
-- It travels in the message of the credential check and runs after it: the
-- principal is the one the check named (casemgr.principal, set by the
-- resolve_* queries of credentials.sql); a refused or dead credential sees
-- nothing. What a principal sees is casemgr.domain.permissions
-- .check_may_read_case, in SQL: a user the cases of the departments of
-- UserFacts.visible_department_ids (home, foreign, and sharing with the home
-- department with activity sharing), a customer its own cases, an OAuth
-- client every case. The tests hold the two to the same answers.
--
-- Named queries run on a generic plan, so the index that finds the
-- candidates is chosen at run time: one branch per filter, each behind a
-- condition on the parameters alone, which Postgres runs as a one-time
-- filter (a branch not taken reads nothing). The first filter given, in the
-- order customer, email, phone, custom attribute, finds the candidates; every
-- filter is then checked on each of them. The candidates are materialized:
-- left to reorder the joins, the planner checks the filters on every case of
-- a small table before it narrows them down, and on a large one it would be
-- free to do the same. The cost follows the number of candidates, not the
-- number of cases.
WITH principal AS (
    SELECT (p ->> 'user_id')::bigint AS user_id, (p ->> 'customer_id')::bigint AS customer_id
    FROM (SELECT nullif(current_setting('casemgr.principal', true), '')::json AS p) AS setting
    WHERE p IS NOT NULL AND coalesce(current_setting('casemgr.refused', true), '') <> 'yes'
), sight AS (
    SELECT pr.user_id, pr.customer_id,
           u.home_department_id || u.foreign_department_ids || u.shared_department_ids AS departments
    FROM principal pr LEFT JOIN user_facts u ON u.id = pr.user_id
), wanted AS (
    SELECT c.id FROM support_case c
    WHERE c.customer_id = %(customer_id)s::bigint
    UNION ALL
    SELECT c.id FROM customer cu JOIN support_case c ON c.customer_id = cu.id
    WHERE %(customer_id)s::bigint IS NULL AND lower(cu.email) = lower(%(email)s::text)
    UNION ALL
    SELECT c.id FROM customer cu JOIN support_case c ON c.customer_id = cu.id
    WHERE %(customer_id)s::bigint IS NULL AND %(email)s::text IS NULL AND cu.phone = %(phone)s::text
    UNION ALL
    SELECT v.case_id FROM custom_field f JOIN case_custom_value v ON v.custom_field_id = f.id
    WHERE %(customer_id)s::bigint IS NULL AND %(email)s::text IS NULL AND %(phone)s::text IS NULL
      AND f.case_type_id IS NULL AND f.name = (%(custom_names)s::text[])[1]
      AND v.value #>> '{}' = (%(custom_values)s::text[])[1]
), candidates AS MATERIALIZED (
    SELECT c.id, c.department_id, c.customer_id, c.last_modified, c.due_date, c.severity, c.subject
    FROM wanted JOIN support_case c ON c.id = wanted.id
), found AS (
    SELECT c.id, count(*) OVER () AS total,
           row_number() OVER (ORDER BY
               -- One key per sort and direction; the keys not asked for are
               -- NULL on every row and order nothing. NULLs (no due date, no
               -- severity, no subject) come last either way.
               CASE WHEN %(sort)s::text = 'last_modified' AND NOT %(descending)s::boolean THEN c.last_modified END,
               CASE WHEN %(sort)s::text = 'last_modified' AND %(descending)s::boolean THEN c.last_modified END
                   DESC NULLS LAST,
               CASE WHEN %(sort)s::text = 'due_date' AND NOT %(descending)s::boolean THEN c.due_date END,
               CASE WHEN %(sort)s::text = 'due_date' AND %(descending)s::boolean THEN c.due_date END DESC NULLS LAST,
               -- ascending severity: low, medium, high, urgent
               CASE WHEN %(sort)s::text = 'severity' AND NOT %(descending)s::boolean
                    THEN array_position('{low,medium,high,urgent}'::case_severity[], c.severity) END,
               CASE WHEN %(sort)s::text = 'severity' AND %(descending)s::boolean
                    THEN array_position('{low,medium,high,urgent}'::case_severity[], c.severity) END
                   DESC NULLS LAST,
               CASE WHEN %(sort)s::text = 'subject' AND NOT %(descending)s::boolean THEN c.subject END,
               CASE WHEN %(sort)s::text = 'subject' AND %(descending)s::boolean THEN c.subject END DESC NULLS LAST,
               CASE WHEN %(descending)s::boolean THEN c.id END DESC,
               c.id) AS position
    FROM candidates c
    CROSS JOIN sight s
    LEFT JOIN customer cu ON cu.id = c.customer_id
    WHERE (s.user_id IS NOT NULL AND c.department_id = ANY(s.departments)
           OR s.user_id IS NULL AND s.customer_id IS NOT NULL AND c.customer_id = s.customer_id
           OR s.user_id IS NULL AND s.customer_id IS NULL)
      AND (%(customer_id)s::bigint IS NULL OR c.customer_id = %(customer_id)s::bigint)
      AND (%(email)s::text IS NULL OR lower(cu.email) = lower(%(email)s::text))
      AND (%(phone)s::text IS NULL OR cu.phone = %(phone)s::text)
      AND NOT EXISTS (
          SELECT 1 FROM unnest(%(custom_names)s::text[], %(custom_values)s::text[]) AS custom (name, value)
          WHERE NOT EXISTS (
              SELECT 1 FROM custom_field f
              JOIN case_custom_value v ON v.custom_field_id = f.id AND v.case_id = c.id
              WHERE f.case_type_id IS NULL AND f.name = custom.name AND v.value #>> '{}' = custom.value))
), page AS (
    -- The page's ids as an array: the cases are then read by their keys,
    -- whatever the generic plan guesses about how many were found.
    SELECT ARRAY(SELECT id FROM found
                 WHERE position > %(offset)s::bigint AND position <= %(offset)s::bigint + %(page_size)s::bigint
                 ORDER BY position) AS ids,
           (SELECT total FROM found LIMIT 1) AS total
)
-- eGain shows no comments: a search reads none.
SELECT v.*, '[]'::json AS comments, 0 AS comment_count, page.total
FROM page JOIN case_view v ON v.id = ANY(page.ids)
ORDER BY array_position(page.ids, v.id)

-- name: unknown_custom_attributes
-- The names among these that are no eGain custom attribute, in the order given.
SELECT ARRAY(SELECT wanted.name FROM unnest(%(names)s::text[]) WITH ORDINALITY AS wanted (name, position)
             WHERE NOT EXISTS (SELECT 1 FROM custom_field f WHERE f.case_type_id IS NULL AND f.name = wanted.name)
             ORDER BY wanted.position) AS unknown
