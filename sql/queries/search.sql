-- Case search (eGain v12 GET …/interaction/case).

-- name: search_cases
-- One page of the cases that every given filter matches exactly, among the
-- cases the principal sees, in the order asked, each row with the number of
-- all the cases found (total). NULL filters (and empty custom lists) are
-- not given; the use case refuses a search that gives none.
--
-- It runs once the credential check has named the principal: the sight is
-- the principal's (casemgr.domain.visibility.CaseSight, from the one view
-- policy): the cases of sight_departments (NULL: of every department)
-- that belong to sight_customer_id (NULL: to anyone). The tests hold the
-- SQL to the domain rule case by case (tests/api/test_sql_visibility.py).
--
-- The sight is part of every index scan: a case the principal does not see
-- is never read. The candidates are found one department the principal sees
-- at a time (a customer's own: also only its own customer), by the index of
-- a filter that puts the department right after what the filter names
-- (support_case_customer_department, case_custom_value_search; migration
-- 0009): first by the customer the customer, email and phone filters name;
-- when they name none, or that customer has more than max_candidates cases
-- the principal sees, by each custom attribute in the order given, until
-- one finds at most max_candidates (each scan stops at one more than that).
-- When none does, the search is too broad: too_broad, and no page (the use
-- case answers casemgr.domain.errors.SearchTooBroad). Every filter, the
-- order and the page are then applied to at most max_candidates cases:
-- a search costs what it may find, never what the principal cannot see.
--
-- Named queries run on a generic plan, so the index is chosen by the text:
-- the custom attributes are tried by a recursive step, each only when the
-- one before it found too many, and the customer's branch runs only when a
-- customer filter is given (a CASE, which Postgres evaluates lazily). The
-- candidates are materialized: left to reorder the joins, the planner
-- checks the filters on every case of a small table before it narrows them
-- down, and on a large one it would be free to do the same.
WITH RECURSIVE sight AS MATERIALIZED (
    -- The departments to look in, one by one (every one when the sight
    -- names none), and the customer held to.
    SELECT %(sight_departments)s::bigint[] IS NOT NULL AS by_department,
           coalesce(%(sight_departments)s::bigint[], ARRAY(SELECT d.id FROM department d)) AS departments,
           %(sight_customer_id)s::bigint AS customer_id
), named_customer AS (
    -- The customer the customer, email and phone filters name (phone: every
    -- customer with that number), and every one given must hold.
    SELECT cu.id FROM (
        SELECT cu.id, cu.email, cu.phone FROM customer cu WHERE cu.id = %(customer_id)s::bigint
        UNION ALL
        SELECT cu.id, cu.email, cu.phone FROM customer cu
        WHERE %(customer_id)s::bigint IS NULL AND lower(cu.email) = lower(%(email)s::text)
        UNION ALL
        SELECT cu.id, cu.email, cu.phone FROM customer cu
        WHERE %(customer_id)s::bigint IS NULL AND %(email)s::text IS NULL AND cu.phone = %(phone)s::text
    ) cu
    WHERE (%(email)s::text IS NULL OR lower(cu.email) = lower(%(email)s::text))
      AND (%(phone)s::text IS NULL OR cu.phone = %(phone)s::text)
), attempt (custom, ids) AS (
    -- The customer's cases the principal sees; NULL: no customer filter.
    -- Each scan is one department's, in the order of its index: so the
    -- plan cannot be anything but an index scan that stops at the limit.
    SELECT 0, CASE WHEN %(customer_id)s::bigint IS NOT NULL OR %(email)s::text IS NOT NULL
                     OR %(phone)s::text IS NOT NULL
                   THEN ARRAY(
                       SELECT c.id FROM sight s CROSS JOIN named_customer cu CROSS JOIN unnest(s.departments) AS d (id)
                       CROSS JOIN LATERAL (
                           SELECT c.id FROM support_case c
                           WHERE c.customer_id = cu.id AND c.department_id = d.id
                           ORDER BY c.id LIMIT %(max_candidates)s::int + 1) c
                       WHERE s.customer_id IS NULL OR cu.id = s.customer_id
                       LIMIT %(max_candidates)s::int + 1) END
    UNION ALL
    -- Else the cases the principal sees with the next custom attribute's
    -- value (a customer: of its own customer).
    SELECT a.custom + 1, ARRAY(
        SELECT v.case_id FROM sight s CROSS JOIN unnest(s.departments) AS d (id)
        JOIN custom_field f ON f.case_type_id IS NULL AND f.name = (%(custom_names)s::text[])[a.custom + 1]
        CROSS JOIN LATERAL (
            (SELECT v.case_id FROM case_custom_value v
             WHERE s.customer_id IS NULL AND v.custom_field_id = f.id AND v.department_id = d.id
               AND v.value #>> '{}' = (%(custom_values)s::text[])[a.custom + 1]
             ORDER BY v.customer_id, v.case_id LIMIT %(max_candidates)s::int + 1)
            UNION ALL
            (SELECT v.case_id FROM case_custom_value v
             WHERE v.customer_id = s.customer_id AND v.custom_field_id = f.id AND v.department_id = d.id
               AND v.value #>> '{}' = (%(custom_values)s::text[])[a.custom + 1]
             ORDER BY v.case_id LIMIT %(max_candidates)s::int + 1)) v
        LIMIT %(max_candidates)s::int + 1)
    FROM attempt a
    WHERE (a.ids IS NULL OR cardinality(a.ids) > %(max_candidates)s::int)
      AND a.custom < cardinality(%(custom_names)s::text[])
), chosen AS (
    -- The last attempt: the first that found few enough, or none did.
    SELECT coalesce(a.ids, '{}') AS ids, cardinality(a.ids) > %(max_candidates)s::int AS too_broad
    FROM attempt a ORDER BY a.custom DESC LIMIT 1
), candidates AS MATERIALIZED (
    SELECT c.id, c.department_id, c.customer_id, c.last_modified, c.due_date, c.severity, c.subject
    FROM chosen JOIN support_case c ON c.id = ANY(chosen.ids)
    WHERE NOT chosen.too_broad
), found AS (
    SELECT c.id, count(*) OVER () AS total,
           row_number() OVER (ORDER BY
               -- One key per sort and direction; the keys not asked for are
               -- NULL on every row and order nothing. NULLs (no due date, no
               -- severity, no subject) come last either way.
               CASE WHEN %(sort)s::text = 'lastModified' AND NOT %(descending)s::boolean THEN c.last_modified END,
               CASE WHEN %(sort)s::text = 'lastModified' AND %(descending)s::boolean THEN c.last_modified END
                   DESC NULLS LAST,
               CASE WHEN %(sort)s::text = 'dueDate' AND NOT %(descending)s::boolean THEN c.due_date END,
               CASE WHEN %(sort)s::text = 'dueDate' AND %(descending)s::boolean THEN c.due_date END DESC NULLS LAST,
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
    -- The sight again, on the candidates alone: what found them already held to it.
    WHERE (NOT s.by_department OR c.department_id = ANY(s.departments))
      AND (s.customer_id IS NULL OR c.customer_id = s.customer_id)
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
           coalesce((SELECT total FROM found LIMIT 1), 0) AS total,
           coalesce((SELECT too_broad FROM chosen), false) AS too_broad
)
-- eGain shows no comments: a search reads none. One row with no case (id
-- NULL) when the page is empty, so too_broad always comes back.
SELECT v.*, '[]'::json AS comments, 0 AS comment_count, page.total, page.too_broad
FROM page LEFT JOIN case_view v ON v.id = ANY(page.ids)
ORDER BY array_position(page.ids, v.id)

-- name: unknown_custom_attributes
-- The names among these that are no eGain custom attribute, in the order given.
SELECT ARRAY(SELECT wanted.name FROM unnest(%(names)s::text[]) WITH ORDINALITY AS wanted (name, position)
             WHERE NOT EXISTS (SELECT 1 FROM custom_field f WHERE f.case_type_id IS NULL AND f.name = wanted.name)
             ORDER BY wanted.position) AS unknown
