-- Logins, sessions and tokens. Only SHA-256 hashes of session ids and tokens
-- are stored or looked up.

-- name: create_session
INSERT INTO auth_session (token_hash, api, user_id, customer_id)
VALUES (%(token_hash)s, %(api)s, %(user_id)s, %(customer_id)s)

-- name: lock_session_holder
-- Locks the user or customer a new session is for: concurrent logins of one
-- principal queue here, so the session cap holds. The sessions are counted
-- by the next statement (live_sessions_of), whose snapshot starts after the
-- lock is held; counted in this one, they would miss a session committed
-- while it waited.
WITH u AS (SELECT id FROM app_user WHERE id = %(user_id)s FOR UPDATE),
     c AS (SELECT id FROM customer WHERE id = %(customer_id)s FOR UPDATE)
SELECT (SELECT count(*) FROM u) + (SELECT count(*) FROM c) AS locked

-- name: live_sessions_of
-- The principal's sessions of this API, oldest first.
SELECT token_hash, created_at FROM auth_session
WHERE (user_id = %(user_id)s OR customer_id = %(customer_id)s) AND api = %(api)s
ORDER BY created_at, token_hash

-- name: delete_session
DELETE FROM auth_session WHERE token_hash = %(token_hash)s

-- name: purge_expired_sessions
DELETE FROM auth_session
WHERE last_used_at < clock_timestamp() - make_interval(secs => %(idle_s)s)
   OR created_at < clock_timestamp() - make_interval(secs => %(lifetime_s)s)
