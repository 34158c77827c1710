-- Logins, sessions and tokens. Only SHA-256 hashes of session ids and tokens
-- are stored or looked up.

-- name: get_user_login
SELECT id, login, password_hash, disabled, first_name, last_name, email
FROM app_user WHERE login = %(principal)s OR lower(email) = lower(%(principal)s)
ORDER BY (login = %(principal)s) DESC LIMIT 1

-- name: get_customer_login
SELECT id, name, first_name, email, password_hash
FROM customer WHERE lower(email) = lower(%(principal)s)

-- name: create_session
INSERT INTO auth_session (token_hash, api, user_id, customer_id)
VALUES (%(token_hash)s, %(api)s, %(user_id)s, %(customer_id)s)

-- name: lock_user_sessions
-- The user's live sessions, oldest first; locking the user row serializes
-- concurrent logins of one user so the session cap holds.
WITH locked_user AS (SELECT id FROM app_user WHERE id = %(user_id)s FOR UPDATE)
SELECT s.token_hash, s.created_at
FROM auth_session s, locked_user
WHERE s.user_id = locked_user.id AND s.api = %(api)s
ORDER BY s.created_at, s.token_hash

-- name: delete_session
DELETE FROM auth_session WHERE token_hash = %(token_hash)s

-- name: purge_expired_sessions
DELETE FROM auth_session
WHERE last_used_at < clock_timestamp() - make_interval(secs => %(idle_s)s)
   OR created_at < clock_timestamp() - make_interval(secs => %(lifetime_s)s)

-- name: session_actor
-- A live session is used now, and who is behind it, in one statement, so the
-- check that precedes every request costs one round trip and no transaction.
-- An idle or too old session is not found (no row).
-- The touch is committed without waiting for the WAL flush (synchronous_commit
-- off for this statement's transaction only): it is a last-used time, not
-- data, and a crash can lose at most the last fraction of a second of touches
-- (each session then looks idle from its previous use). This saves a disk
-- flush on every request; every write of case data still waits for its flush.
-- The touch skips a session row another transaction holds: that one is
-- touching it right now (an edit checks its session inside its own
-- transaction), so nothing is lost, and no request of a session ever waits
-- behind another request of the same session.
WITH relaxed AS (
    SELECT set_config('synchronous_commit', 'off', true)
), live AS (
    SELECT token_hash, user_id, customer_id FROM auth_session
    WHERE token_hash = %(token_hash)s AND api = %(api)s
      AND last_used_at >= clock_timestamp() - make_interval(secs => %(idle_s)s)
      AND created_at >= clock_timestamp() - make_interval(secs => %(lifetime_s)s)
), touched AS (
    UPDATE auth_session SET last_used_at = clock_timestamp()
    WHERE token_hash IN (SELECT token_hash FROM auth_session
                         WHERE token_hash IN (SELECT token_hash FROM live)
                         FOR UPDATE SKIP LOCKED)
)
SELECT live.user_id, live.customer_id,
       (SELECT row_to_json(u) FROM user_facts u WHERE u.id = live.user_id) AS user_row,
       (SELECT row_to_json(c) FROM (SELECT id, name, first_name, email FROM customer
                                    WHERE id = live.customer_id) c) AS customer_row
FROM live, relaxed

-- name: session_actor_locking_cases
-- session_actor for an edit that checks its session inside its own
-- transaction (casemgr.service.cases): the session is used now and its actor
-- answered, and lock_cases's locks are taken in the same statement, only when
-- the session opens the API (live, and a customer's or an enabled user's), so
-- a request with a dead session never holds a case.
-- The touch is not relaxed here: synchronous_commit would stay off for the
-- whole transaction, and the case write it commits must wait for its flush.
-- The session row the touch locks stays locked until the edit ends; the touch
-- of every other request skips it (see session_actor), so none waits for it.
-- Keep the live-session test in step with session_actor's (the v12 session
-- tests end sessions both ways and check reads and edits alike).
WITH live AS (
    SELECT token_hash, user_id, customer_id FROM auth_session
    WHERE token_hash = %(token_hash)s AND api = %(api)s
      AND last_used_at >= clock_timestamp() - make_interval(secs => %(idle_s)s)
      AND created_at >= clock_timestamp() - make_interval(secs => %(lifetime_s)s)
), touched AS (
    UPDATE auth_session SET last_used_at = clock_timestamp()
    WHERE token_hash IN (SELECT token_hash FROM auth_session
                         WHERE token_hash IN (SELECT token_hash FROM live)
                         FOR UPDATE SKIP LOCKED)
), locked AS MATERIALIZED (
    SELECT id FROM support_case
    WHERE id = ANY(%(ids)s)
      AND EXISTS (SELECT FROM live LEFT JOIN app_user u ON u.id = live.user_id
                  WHERE live.customer_id IS NOT NULL OR u.disabled IS FALSE)
    ORDER BY id FOR UPDATE
)
SELECT live.user_id, live.customer_id,
       (SELECT row_to_json(u) FROM user_facts u WHERE u.id = live.user_id) AS user_row,
       (SELECT row_to_json(c) FROM (SELECT id, name, first_name, email FROM customer
                                    WHERE id = live.customer_id) c) AS customer_row,
       (SELECT count(*) FROM locked) AS locked_cases
FROM live
