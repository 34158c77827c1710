-- Logins, sessions and tokens. Only SHA-256 hashes of session ids and tokens
-- are stored or looked up.

-- name: get_user_login
SELECT id, login, password_hash, disabled, first_name, last_name, email
FROM app_user WHERE login = %(principal)s OR lower(email) = lower(%(principal)s)
ORDER BY (login = %(principal)s) DESC LIMIT 1

-- name: get_customer_login
SELECT id, name, first_name, email, password_hash
FROM customer WHERE lower(email) = lower(%(principal)s)

-- name: get_customer
SELECT id, name, first_name, email FROM customer WHERE id = %(customer_id)s

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

-- name: touch_session
-- A live session is used now; an idle or too old one is not found.
UPDATE auth_session s SET last_used_at = clock_timestamp()
FROM (SELECT token_hash FROM auth_session
      WHERE token_hash = %(token_hash)s AND api = %(api)s
        AND last_used_at >= clock_timestamp() - make_interval(secs => %(idle_s)s)
        AND created_at >= clock_timestamp() - make_interval(secs => %(lifetime_s)s)) live
WHERE s.token_hash = live.token_hash
RETURNING s.user_id, s.customer_id
