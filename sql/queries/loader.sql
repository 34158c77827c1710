-- The YAML loader (casemgr.db.loader). Reads first: what already exists, so
-- the whole file is validated before anything is written. Then one upsert per
-- entry, each keyed by the entry's natural key and each writing nothing when
-- the stored row already matches (`WHERE ... IS DISTINCT FROM ...`), so a
-- second load of the same file changes nothing. "replace_*" queries make a set
-- that belongs to an entry (shares, foreign departments, permissions, custom
-- values, relations) exactly the file's set, touching only the differences.

-- name: loader_lock
-- One load at a time: two loads validated against the same snapshot could
-- each pass and together break a rule (related-case limit, unique e-mails).
SELECT pg_advisory_xact_lock(7813868451282788964)

-- name: loader_lock_cases
-- The cases the file mentions and their current neighbours, locked in
-- ascending id order like every edit does, so no edit changes their
-- relations between validation and write, and neither side deadlocks.
SELECT id FROM support_case
WHERE id = ANY(%(ids)s::bigint[])
   OR id IN (SELECT r.high_case_id FROM case_relation r WHERE r.low_case_id = ANY(%(ids)s::bigint[])
             UNION
             SELECT r.low_case_id FROM case_relation r WHERE r.high_case_id = ANY(%(ids)s::bigint[]))
ORDER BY id
FOR UPDATE

-- name: loader_existing_departments
SELECT name FROM department

-- name: loader_existing_users
SELECT id, login, lower(email) AS email, password_hash FROM app_user

-- name: loader_existing_customers
SELECT id, lower(email) AS email, password_hash FROM customer

-- name: loader_existing_custom_attributes
SELECT id, name, data_type::text AS data_type, allowed_values
FROM custom_field WHERE case_type_id IS NULL

-- name: loader_existing_statuses
SELECT name, state::text AS state, is_initial FROM case_status

-- name: loader_existing_resolutions
SELECT name FROM resolution

-- name: loader_existing_case_fields
-- Every category, with each of its types and each type's fields (NULLs where
-- a category has no type or a type no field).
SELECT c.code AS category, c.is_system, t.code AS type,
       f.id AS field_id, f.name AS field, f.data_type::text AS data_type
FROM category c
LEFT JOIN case_type t ON t.category_id = c.id
LEFT JOIN custom_field f ON f.case_type_id = t.id

-- name: loader_existing_oauth_clients
SELECT client_id, secret_hash FROM oauth_client

-- name: loader_existing_relations
-- The cases among the given ids that exist, each with its related cases.
SELECT case_id, related_ids FROM case_related_ids WHERE case_id = ANY(%(ids)s::bigint[])

-- name: upsert_department
INSERT INTO department (name) VALUES (%(name)s)
ON CONFLICT (name) DO NOTHING

-- name: replace_department_shares
-- "This department shares with" exactly the given departments.
WITH me AS (
    SELECT id FROM department WHERE name = %(name)s
), wanted AS (
    SELECT me.id AS department_id, d.id AS shared_with_id, w.activity_sharing
    FROM me, unnest(%(shared_with)s::text[], %(activity_sharing)s::boolean[]) AS w(name, activity_sharing)
    JOIN department d ON d.name = w.name
), removed AS (
    DELETE FROM department_share s USING me
    WHERE s.department_id = me.id AND s.shared_with_id NOT IN (SELECT shared_with_id FROM wanted)
)
INSERT INTO department_share AS s (department_id, shared_with_id, activity_sharing)
SELECT department_id, shared_with_id, activity_sharing FROM wanted
ON CONFLICT (department_id, shared_with_id) DO UPDATE SET activity_sharing = EXCLUDED.activity_sharing
WHERE s.activity_sharing IS DISTINCT FROM EXCLUDED.activity_sharing

-- name: upsert_user
-- Matched by login. An explicit id is used only when the login is new; the
-- sequence is drawn from only when neither exists.
INSERT INTO app_user AS u (id, login, password_hash, first_name, last_name, email, home_department_id,
                           disabled, licenses, actions)
SELECT COALESCE((SELECT id FROM app_user WHERE login = %(login)s), %(id)s::bigint,
                nextval(pg_get_serial_sequence('app_user', 'id'))),
       %(login)s, %(password_hash)s, %(first_name)s, %(last_name)s, %(email)s, d.id,
       %(disabled)s, %(licenses)s::text[], %(actions)s::text[]
FROM department d
WHERE d.name = %(home_department)s
ON CONFLICT (login) DO UPDATE SET
    password_hash = EXCLUDED.password_hash, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
    email = EXCLUDED.email, home_department_id = EXCLUDED.home_department_id, disabled = EXCLUDED.disabled,
    licenses = EXCLUDED.licenses, actions = EXCLUDED.actions
WHERE (u.password_hash, u.first_name, u.last_name, u.email, u.home_department_id, u.disabled,
       u.licenses, u.actions)
      IS DISTINCT FROM
      (EXCLUDED.password_hash, EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.email,
       EXCLUDED.home_department_id, EXCLUDED.disabled, EXCLUDED.licenses, EXCLUDED.actions)

-- name: replace_user_foreign_departments
WITH me AS (
    SELECT id FROM app_user WHERE login = %(login)s
), wanted AS (
    SELECT me.id AS user_id, d.id AS department_id
    FROM me, unnest(%(departments)s::text[]) AS w(name)
    JOIN department d ON d.name = w.name
), removed AS (
    DELETE FROM user_foreign_department f USING me
    WHERE f.user_id = me.id AND f.department_id NOT IN (SELECT department_id FROM wanted)
)
INSERT INTO user_foreign_department (user_id, department_id)
SELECT user_id, department_id FROM wanted
ON CONFLICT DO NOTHING

-- name: replace_user_permissions
-- The user's Transfer / Pull Activities permissions, as parallel arrays of
-- permission and target login.
WITH me AS (
    SELECT id FROM app_user WHERE login = %(login)s
), wanted AS (
    SELECT me.id AS user_id, w.permission::user_permission_kind AS permission, t.id AS target_user_id
    FROM me, unnest(%(permissions)s::text[], %(targets)s::text[]) AS w(permission, target)
    JOIN app_user t ON t.login = w.target
), removed AS (
    DELETE FROM user_permission p USING me
    WHERE p.user_id = me.id
      AND (p.permission, p.target_user_id) NOT IN (SELECT permission, target_user_id FROM wanted)
)
INSERT INTO user_permission (user_id, permission, target_user_id)
SELECT user_id, permission, target_user_id FROM wanted
ON CONFLICT DO NOTHING

-- name: upsert_customer
-- Matched by id, else by e-mail; a new customer without id gets one from the sequence.
INSERT INTO customer AS c (id, name, first_name, email, phone, password_hash)
VALUES (COALESCE(%(id)s::bigint,
                 (SELECT id FROM customer WHERE lower(email) = lower(%(email)s)),
                 nextval(pg_get_serial_sequence('customer', 'id'))),
        %(name)s, %(first_name)s, %(email)s, %(phone)s, %(password_hash)s)
ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, first_name = EXCLUDED.first_name, email = EXCLUDED.email, phone = EXCLUDED.phone,
    password_hash = EXCLUDED.password_hash
WHERE (c.name, c.first_name, c.email, c.phone, c.password_hash)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.first_name, EXCLUDED.email, EXCLUDED.phone, EXCLUDED.password_hash)

-- name: upsert_custom_attribute
INSERT INTO custom_field AS f (case_type_id, name, data_type, allowed_values, position)
VALUES (NULL, %(name)s, %(data_type)s::field_data_type, %(allowed_values)s::text[], %(position)s)
ON CONFLICT (name) WHERE case_type_id IS NULL DO UPDATE SET
    data_type = EXCLUDED.data_type, allowed_values = EXCLUDED.allowed_values, position = EXCLUDED.position
WHERE (f.data_type, f.allowed_values, f.position)
      IS DISTINCT FROM (EXCLUDED.data_type, EXCLUDED.allowed_values, EXCLUDED.position)

-- name: clear_other_initial_status
-- Only one status may be initial (a unique index): the one the file marks
-- initial takes the flag from any other first.
UPDATE case_status SET is_initial = false WHERE is_initial AND name <> %(name)s

-- name: upsert_status
INSERT INTO case_status AS s (name, state, is_initial)
VALUES (%(name)s, %(state)s::status_state, %(initial)s)
ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, is_initial = EXCLUDED.is_initial
WHERE (s.state, s.is_initial) IS DISTINCT FROM (EXCLUDED.state, EXCLUDED.is_initial)

-- name: replace_status_transitions
-- The statuses a status may move to: exactly the given names, or (next NULL)
-- any status, with no row at all.
WITH me AS (
    UPDATE case_status s SET restricts_next = (%(next)s::text[] IS NOT NULL)
    WHERE s.name = %(name)s
    RETURNING s.id
), wanted AS (
    SELECT me.id AS from_status_id, t.id AS to_status_id
    FROM me, unnest(coalesce(%(next)s::text[], '{}')) AS w(name)
    JOIN case_status t ON t.name = w.name
), removed AS (
    DELETE FROM status_transition x USING me
    WHERE x.from_status_id = me.id AND x.to_status_id NOT IN (SELECT to_status_id FROM wanted)
)
INSERT INTO status_transition (from_status_id, to_status_id)
SELECT from_status_id, to_status_id FROM wanted
ON CONFLICT DO NOTHING

-- name: upsert_resolution
INSERT INTO resolution (name) VALUES (%(name)s)
ON CONFLICT (name) DO NOTHING

-- name: upsert_category
INSERT INTO category AS c (code, name, is_system)
VALUES (%(code)s, %(name)s, %(system)s)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, is_system = EXCLUDED.is_system
WHERE (c.name, c.is_system) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.is_system)

-- name: upsert_case_type
INSERT INTO case_type AS t (category_id, code, name, visible_in_app, default_answer)
SELECT c.id, %(code)s, %(name)s, %(visible_in_app)s, %(default_answer)s FROM category c WHERE c.code = %(category)s
ON CONFLICT (category_id, code) DO UPDATE SET
    name = EXCLUDED.name, visible_in_app = EXCLUDED.visible_in_app, default_answer = EXCLUDED.default_answer
WHERE (t.name, t.visible_in_app, t.default_answer)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.visible_in_app, EXCLUDED.default_answer)

-- name: upsert_case_fields
-- A type's case data fields, as parallel arrays of name and data type; a
-- field's position is its place in the list.
INSERT INTO custom_field AS f (case_type_id, name, data_type, position)
SELECT t.id, w.name, w.data_type, w.position - 1
FROM category c
JOIN case_type t ON t.category_id = c.id AND t.code = %(type)s
CROSS JOIN unnest(%(names)s::text[], %(data_types)s::field_data_type[]) WITH ORDINALITY AS w(name, data_type, position)
WHERE c.code = %(category)s
ON CONFLICT (case_type_id, name) WHERE case_type_id IS NOT NULL DO UPDATE SET
    data_type = EXCLUDED.data_type, position = EXCLUDED.position
WHERE (f.data_type, f.position) IS DISTINCT FROM (EXCLUDED.data_type, EXCLUDED.position)

-- name: upsert_touchpoint
INSERT INTO touchpoint AS t (code, token_hash, all_categories)
VALUES (%(code)s, %(token_hash)s, %(all_categories)s)
ON CONFLICT (code) DO UPDATE SET token_hash = EXCLUDED.token_hash, all_categories = EXCLUDED.all_categories
WHERE (t.token_hash, t.all_categories) IS DISTINCT FROM (EXCLUDED.token_hash, EXCLUDED.all_categories)

-- name: replace_touchpoint_categories
-- The categories a touchpoint may act on: exactly the given codes (none
-- when it may act on every category: all_categories says so).
WITH wanted AS (
    SELECT %(code)s AS touchpoint_code, c.id AS category_id
    FROM unnest(%(categories)s::text[]) AS w(code) JOIN category c ON c.code = w.code
), removed AS (
    DELETE FROM touchpoint_category x
    WHERE x.touchpoint_code = %(code)s AND x.category_id NOT IN (SELECT category_id FROM wanted)
)
INSERT INTO touchpoint_category (touchpoint_code, category_id)
SELECT touchpoint_code, category_id FROM wanted
ON CONFLICT DO NOTHING

-- name: upsert_oauth_client
INSERT INTO oauth_client AS o (client_id, secret_hash, scopes)
VALUES (%(client_id)s, %(secret_hash)s, %(scopes)s::text[])
ON CONFLICT (client_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, scopes = EXCLUDED.scopes
WHERE (o.secret_hash, o.scopes) IS DISTINCT FROM (EXCLUDED.secret_hash, EXCLUDED.scopes)

-- name: upsert_case
-- The case row, every reference resolved by name. A case loaded in a closed
-- status gets lastClosed now unless it has one. Returns a row only when the
-- case was inserted or its row changed; lastModified is set afterwards, once
-- for all that changed (bump_last_modified).
WITH resolved AS (
    SELECT %(id)s::bigint AS id, d.id AS department_id, u.id AS owner_id, %(customer_id)s::bigint AS customer_id,
           s.id AS status_id, %(severity)s::case_severity AS severity, %(subject)s::text AS subject,
           %(description)s::text AS description, %(solution)s::text AS solution,
           %(due_date)s::timestamptz AS due_date, cat.id AS category_id, t.id AS case_type_id,
           r.id AS resolution_id,
           CASE WHEN s.state = 'closed' THEN date_trunc('milliseconds', clock_timestamp()) END AS last_closed
    FROM department d
    JOIN case_status s ON s.name = %(status)s
    LEFT JOIN app_user u ON u.login = %(owner)s
    LEFT JOIN category cat ON cat.code = %(category)s
    LEFT JOIN case_type t ON t.category_id = cat.id AND t.code = %(type)s
    LEFT JOIN resolution r ON r.name = %(resolution)s
    WHERE d.name = %(department)s
)
INSERT INTO support_case AS c (id, department_id, owner_id, customer_id, status_id, severity, subject,
                               description, solution, due_date, category_id, case_type_id, resolution_id,
                               last_closed)
SELECT id, department_id, owner_id, customer_id, status_id, severity, subject, description, solution,
       due_date, category_id, case_type_id, resolution_id, last_closed
FROM resolved
ON CONFLICT (id) DO UPDATE SET
    department_id = EXCLUDED.department_id, owner_id = EXCLUDED.owner_id, customer_id = EXCLUDED.customer_id,
    status_id = EXCLUDED.status_id, severity = EXCLUDED.severity, subject = EXCLUDED.subject,
    description = EXCLUDED.description, solution = EXCLUDED.solution, due_date = EXCLUDED.due_date,
    category_id = EXCLUDED.category_id, case_type_id = EXCLUDED.case_type_id,
    resolution_id = EXCLUDED.resolution_id, last_closed = COALESCE(c.last_closed, EXCLUDED.last_closed)
WHERE (c.department_id, c.owner_id, c.customer_id, c.status_id, c.severity, c.subject, c.description,
       c.solution, c.due_date, c.category_id, c.case_type_id, c.resolution_id)
      IS DISTINCT FROM
      (EXCLUDED.department_id, EXCLUDED.owner_id, EXCLUDED.customer_id, EXCLUDED.status_id, EXCLUDED.severity,
       EXCLUDED.subject, EXCLUDED.description, EXCLUDED.solution, EXCLUDED.due_date, EXCLUDED.category_id,
       EXCLUDED.case_type_id, EXCLUDED.resolution_id)
   OR (c.last_closed IS NULL AND EXCLUDED.last_closed IS NOT NULL)
RETURNING c.id, (c.xmax = 0) AS inserted

-- name: replace_case_custom_values
-- The case's typed values become exactly the given ones: eGain custom
-- attributes (global fields) and caseData (the fields of the case's type),
-- each a JSON object of name -> value. Returns how many rows changed.
WITH wanted AS (
    SELECT f.id AS field_id, w.value
    FROM jsonb_each(%(attributes)s::jsonb) AS w(name, value)
    JOIN custom_field f ON f.case_type_id IS NULL AND f.name = w.name
    UNION ALL
    SELECT f.id, w.value
    FROM jsonb_each(%(case_data)s::jsonb) AS w(name, value)
    JOIN support_case c ON c.id = %(case_id)s
    JOIN custom_field f ON f.case_type_id = c.case_type_id AND f.name = w.name
), removed AS (
    DELETE FROM case_custom_value v
    WHERE v.case_id = %(case_id)s AND v.custom_field_id NOT IN (SELECT field_id FROM wanted)
    RETURNING 1
), written AS (
    INSERT INTO case_custom_value AS v (case_id, custom_field_id, value)
    SELECT %(case_id)s, field_id, value FROM wanted
    ON CONFLICT (case_id, custom_field_id) DO UPDATE SET value = EXCLUDED.value
    WHERE v.value IS DISTINCT FROM EXCLUDED.value
    RETURNING 1
)
SELECT (SELECT count(*) FROM removed) + (SELECT count(*) FROM written) AS changed

-- name: replace_case_relations
-- The case is related to exactly the given cases (each pair stored once, low
-- id first). Returns the other end of every pair added or removed.
WITH wanted AS (
    SELECT least(%(case_id)s::bigint, other) AS low, greatest(%(case_id)s::bigint, other) AS high
    FROM unnest(%(related_ids)s::bigint[]) AS other
), removed AS (
    DELETE FROM case_relation r
    WHERE (r.low_case_id = %(case_id)s OR r.high_case_id = %(case_id)s)
      AND (r.low_case_id, r.high_case_id) NOT IN (SELECT low, high FROM wanted)
    RETURNING r.low_case_id + r.high_case_id - %(case_id)s AS other
), added AS (
    INSERT INTO case_relation (low_case_id, high_case_id)
    SELECT low, high FROM wanted
    ON CONFLICT DO NOTHING
    RETURNING low_case_id + high_case_id - %(case_id)s AS other
)
SELECT other FROM removed UNION SELECT other FROM added

-- name: bump_last_modified
-- Cases the load changed get a new lastModified, never equal to the previous
-- one (every write moves it on by at least 1 ms), so a client holding the old
-- value gets a 409.
UPDATE support_case
SET last_modified = greatest(date_trunc('milliseconds', clock_timestamp()),
                             last_modified + interval '1 millisecond')
WHERE id = ANY(%(ids)s::bigint[])

-- name: advance_identity_sequences
-- Explicit ids go into identity columns: before writing, move each sequence
-- past the largest id, stored or about to be loaded, so that neither a row
-- of this file without an id nor one created later collides with a loaded
-- id. (setval is not rolled back with a failed load; that only leaves a gap.)
SELECT t.name, setval(s.seq, t.max_id)
FROM (VALUES ('app_user', greatest((SELECT max(id) FROM app_user), %(app_user)s::bigint)),
             ('customer', greatest((SELECT max(id) FROM customer), %(customer)s::bigint)),
             ('support_case', greatest((SELECT max(id) FROM support_case), %(support_case)s::bigint)))
     AS t(name, max_id)
CROSS JOIN LATERAL (SELECT pg_get_serial_sequence(t.name, 'id') AS seq) s
WHERE t.max_id > COALESCE(pg_sequence_last_value(s.seq::regclass), 0)

-- name: get_case_states
-- Cases as the rules see them: a load records what it changed in each, from
-- their states before and after it.
SELECT row_to_json(f) AS case_row FROM case_facts f WHERE f.id = ANY(%(ids)s::bigint[]) ORDER BY f.id

-- name: list_custom_fields
-- Every custom field by id: a global one (no case type) is an eGain custom
-- attribute, the others are Thalamus case data.
SELECT id, name, case_type_id FROM custom_field

-- name: insert_load_history
-- One entry for each case a load created or changed, with no author.
INSERT INTO case_history (case_id, last_modified, previous_last_modified, api, changes)
SELECT e.case_id, e.last_modified, e.previous_last_modified, %(api)s, e.changes
FROM jsonb_to_recordset(%(entries)s::jsonb)
     AS e(case_id bigint, last_modified timestamptz, previous_last_modified timestamptz, changes jsonb)
ORDER BY e.case_id
