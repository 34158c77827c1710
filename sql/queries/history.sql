-- Reading the history: a case's entries, what changed since a version, and
-- the change feed. The entries are stored in the history's vocabulary
-- (casemgr.domain.history); these queries only find them.

-- name: get_case_history
-- A page of a case's history, newest first, in one statement with what the
-- rules need to judge whether the reader may see the case, and the names of
-- what its changes refer to by id. case_row is NULL for no such case.
-- Only the entries that show the reader something are paged and counted:
-- those that name a field (case_history_named, migration 0011) and, unless
-- the reader sees every field, one the reader sees: shown_path, a jsonpath
-- over the entry's field names made from the reader's
-- casemgr.domain.visibility.FieldSight. The page is read newest first by
-- the case's index and stops once it is full; the domain then shows each
-- entry's visible changes only.
SELECT
    (SELECT json_build_object('id', c.id, 'department_id', c.department_id, 'customer_id', c.customer_id,
                              'category_id', c.category_id)
       FROM support_case c WHERE c.id = %(case_id)s) AS case_row,
    -- A reader who sees every field counts from an index alone (a CASE runs
    -- only the branch it takes); another reader's count reads every entry
    -- of the case.
    CASE WHEN %(every_field)s::boolean
         THEN (SELECT count(*) FROM case_history h WHERE h.case_id = %(case_id)s AND h.changes <> '[]'::jsonb)
         ELSE (SELECT count(*) FROM case_history h
               WHERE h.case_id = %(case_id)s AND jsonb_path_exists(h.changes, %(shown_path)s::jsonpath))
    END AS total,
    COALESCE((SELECT json_agg(e ORDER BY e.id DESC) FROM (
        SELECT h.id, h.written_at, h.last_modified, h.api, h.changes, h.actor_user_id, u.login AS actor_login,
               h.actor_customer_id, cu.name AS actor_customer_name, h.actor_client_id, h.activity
        FROM case_history h
        LEFT JOIN app_user u ON u.id = h.actor_user_id
        LEFT JOIN customer cu ON cu.id = h.actor_customer_id
        WHERE h.case_id = %(case_id)s AND h.changes <> '[]'::jsonb
          AND (%(every_field)s::boolean OR jsonb_path_exists(h.changes, %(shown_path)s::jsonpath))
        ORDER BY h.id DESC
        LIMIT %(page_size)s OFFSET %(skip)s) e), '[]'::json) AS entries,
    json_build_object(
        'statuses', (SELECT json_object_agg(s.id, s.name) FROM case_status s),
        'resolutions', (SELECT json_object_agg(r.id, r.name) FROM resolution r),
        'categories', (SELECT json_object_agg(cat.id, cat.code) FROM category cat),
        'types', (SELECT json_object_agg(t.id, t.code) FROM case_type t),
        'departments', (SELECT json_object_agg(d.id, d.name) FROM department d)) AS refs

-- name: get_changes_since
-- For a refused edit (the case is locked): whether the version the client
-- named is one the case had, and the fields of every entry written after it.
SELECT
    EXISTS (SELECT 1 FROM case_history h
            WHERE h.case_id = %(case_id)s
              AND (h.last_modified = %(version)s OR h.previous_last_modified = %(version)s)) AS known,
    COALESCE((SELECT json_agg(s.fields ORDER BY s.id) FROM (
        SELECT h.id, (SELECT json_agg(c.change->>'field' ORDER BY c.position)
                      FROM jsonb_array_elements(h.changes) WITH ORDINALITY AS c(change, position)) AS fields
        FROM case_history h
        WHERE h.case_id = %(case_id)s AND h.last_modified > %(version)s) s), '[]'::json) AS entries

-- name: get_change_feed
-- The changes after a feed position, in feed order: (feed_xid, id), up to the
-- horizon of this statement's snapshot (case_feed_horizon, migration 0006:
-- its oldest running transaction that may belong to this database). Every
-- transaction of this database with an xid below it has ended, so no change
-- at or before a position handed out can commit later (see migration 0005).
-- departments: the reach (NULL: every case). The horizon (as xmin) and xmax
-- come back to set the next position and to check a cursor.
--
-- A reach is read one department at a time, each in feed order by its own
-- index (case_history_department_feed, migration 0009: an entry carries its
-- case's department), each up to the limit; the first changes of them all
-- are the page. A page costs the departments of the reach times the limit
-- at most, never the changes of the cases outside it.
WITH horizon AS (
    SELECT case_feed_horizon(pg_current_snapshot()) AS xmin, pg_snapshot_xmax(pg_current_snapshot()) AS xmax
), page AS (
    SELECT p.feed_xid, p.id FROM (
        (SELECT h.feed_xid, h.id FROM case_history h
         WHERE %(departments)s::bigint[] IS NULL
           AND (h.feed_xid, h.id) > (%(after_position)s::text::xid8, %(after_id)s::bigint)
           AND h.feed_xid < (SELECT xmin FROM horizon)
         ORDER BY h.feed_xid, h.id
         LIMIT %(limit)s)
        UNION ALL
        SELECT h.feed_xid, h.id FROM unnest(%(departments)s::bigint[]) AS d (id)
        CROSS JOIN LATERAL (
            SELECT h.feed_xid, h.id FROM case_history h
            WHERE h.department_id = d.id
              AND (h.feed_xid, h.id) > (%(after_position)s::text::xid8, %(after_id)s::bigint)
              AND h.feed_xid < (SELECT xmin FROM horizon)
            ORDER BY h.feed_xid, h.id
            LIMIT %(limit)s) h
    ) p
    ORDER BY p.feed_xid, p.id
    LIMIT %(limit)s
)
SELECT horizon.xmin::text AS xmin, horizon.xmax::text AS xmax,
    COALESCE((SELECT json_agg(e ORDER BY e.position, e.id) FROM (
        SELECT h.feed_xid AS position, h.id, h.case_id, h.written_at, h.last_modified, h.api,
               h.actor_user_id, u.login AS actor_login, h.actor_customer_id, cu.name AS actor_customer_name,
               h.actor_client_id,
               (SELECT json_agg(c.change->>'field' ORDER BY c.position)
                FROM jsonb_array_elements(h.changes) WITH ORDINALITY AS c(change, position)) AS fields
        FROM page
        JOIN case_history h ON h.id = page.id
        LEFT JOIN app_user u ON u.id = h.actor_user_id
        LEFT JOIN customer cu ON cu.id = h.actor_customer_id) e), '[]'::json) AS changes
FROM horizon

-- name: get_feed_horizon
-- The feed's horizon now (case_feed_horizon, migration 0006): every change
-- with a feed position below it has committed; every change of this
-- database still to commit will have a position at or above it.
SELECT case_feed_horizon(pg_current_snapshot())::text AS xmin
