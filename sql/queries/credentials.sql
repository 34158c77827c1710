-- Resolving a request's credentials: one live-credential query per kind,
-- used the same way by every API and every use case (casemgr.service.auth).
-- Each answers exactly one row, found or not, and marks its transaction as
-- refused (the transaction-local setting casemgr.refused) when the credential
-- does not open the API: lock_cases takes no lock in a refused transaction,
-- so a dead credential never holds or waits for a case.
-- Only SHA-256 hashes of session ids and tokens are stored or looked up.

-- name: get_server_key
SELECT key FROM server_key

-- name: resolve_session
-- A live session of this API (not idle, not too old, a customer's or an
-- enabled user's), used now, and who is behind it.
-- relaxed: the transaction writes no case data, so the touch is committed
-- without waiting for the WAL flush (a crash loses at most the last fraction
-- of a second of last-used times; case writes always wait for theirs).
-- The touch skips a session row another transaction holds: that one is
-- touching it right now, so no request of a session ever waits behind
-- another request of the same session.
WITH live AS (
    SELECT s.token_hash, s.user_id, s.customer_id
    FROM auth_session s LEFT JOIN app_user u ON u.id = s.user_id
    WHERE s.token_hash = %(token_hash)s AND s.api = %(api)s
      AND s.last_used_at >= clock_timestamp() - make_interval(secs => %(idle_s)s)
      AND s.created_at >= clock_timestamp() - make_interval(secs => %(lifetime_s)s)
      AND (s.customer_id IS NOT NULL OR u.disabled IS FALSE)
), touched AS (
    UPDATE auth_session SET last_used_at = clock_timestamp()
    WHERE token_hash IN (SELECT token_hash FROM auth_session
                         WHERE token_hash IN (SELECT token_hash FROM live)
                         FOR UPDATE SKIP LOCKED)
)
SELECT live.user_id, live.customer_id,
       (SELECT row_to_json(u) FROM user_facts u WHERE u.id = live.user_id) AS user_row,
       (SELECT row_to_json(c) FROM (SELECT id, name, first_name, email FROM customer
                                    WHERE id = live.customer_id) c) AS customer_row,
       NULL::text AS scope, NULL::text AS client_id, NULL::int AS retry_after,
       set_config('casemgr.refused', CASE WHEN live.token_hash IS NULL THEN 'yes'
                                          ELSE coalesce(current_setting('casemgr.refused', true), '') END, true),
       CASE WHEN %(relaxed)s THEN set_config('synchronous_commit', 'off', true) END
FROM (SELECT) AS one LEFT JOIN live ON true

-- name: resolve_token
-- A live OAuth bearer token (not expired; a client's, or an enabled user's)
-- granting one of the scopes asked for (none asked: any).
WITH live AS (
    SELECT t.client_id, t.user_id, t.scope
    FROM oauth_token t LEFT JOIN app_user u ON u.id = t.user_id
    WHERE t.token_hash = %(token_hash)s AND t.expires_at > clock_timestamp()
      AND (t.user_id IS NULL OR u.disabled IS FALSE)
)
SELECT live.user_id, NULL::bigint AS customer_id,
       (SELECT row_to_json(u) FROM user_facts u WHERE u.id = live.user_id) AS user_row,
       NULL::json AS customer_row, live.scope, live.client_id, NULL::int AS retry_after,
       set_config('casemgr.refused',
                  CASE WHEN live.client_id IS NULL
                         OR (cardinality(%(scopes)s::text[]) > 0
                             AND NOT string_to_array(live.scope, ' ') && %(scopes)s::text[]) THEN 'yes'
                       ELSE coalesce(current_setting('casemgr.refused', true), '') END, true)
FROM (SELECT) AS one LEFT JOIN live ON true

-- name: resolve_password_principal
-- An operator or party whose password was verified (casemgr.service.passwords):
-- still enabled, with the very password hash it was verified against (a
-- changed password or a disabled account is never trusted from a cache), and
-- not throttled (every attempt past a limit is refused, right or wrong).
WITH throttle AS (
    SELECT credential_retry_after(%(account)s, %(address)s::inet, %(window_s)s, %(per_pair)s, %(per_account)s,
                                  %(per_address)s, %(trusted)s, %(familiar_s)s, true) AS retry_after
), live AS (
    SELECT u.id AS user_id, NULL::bigint AS customer_id FROM app_user u
    WHERE u.id = %(user_id)s AND u.password_hash = %(password_hash)s AND NOT u.disabled
    UNION ALL
    SELECT NULL, c.id FROM customer c
    WHERE c.id = %(customer_id)s AND c.password_hash = %(password_hash)s
)
SELECT live.user_id, live.customer_id,
       (SELECT row_to_json(u) FROM user_facts u WHERE u.id = live.user_id) AS user_row,
       (SELECT row_to_json(c) FROM (SELECT id, name, first_name, email FROM customer
                                    WHERE id = live.customer_id) c) AS customer_row,
       NULL::text AS scope, NULL::text AS client_id, throttle.retry_after,
       set_config('casemgr.refused',
                  CASE WHEN throttle.retry_after IS NOT NULL OR (live.user_id IS NULL AND live.customer_id IS NULL)
                       THEN 'yes' ELSE coalesce(current_setting('casemgr.refused', true), '') END, true)
FROM throttle LEFT JOIN live ON true

-- name: resolve_touchpoint
-- A Thalamus touchpoint and its token (only the token's SHA-256 is stored),
-- and the categories it may act on (NULL: every one; migration 0012).
SELECT coalesce(tp.token_hash = %(token_hash)s, false) AS matches,
       CASE WHEN NOT tp.all_categories
            THEN ARRAY(SELECT c.category_id FROM touchpoint_category c WHERE c.touchpoint_code = tp.code
                       ORDER BY c.category_id) END AS category_ids,
       set_config('casemgr.refused', CASE WHEN tp.token_hash IS DISTINCT FROM %(token_hash)s THEN 'yes'
                                          ELSE coalesce(current_setting('casemgr.refused', true), '') END, true)
FROM (SELECT) AS one LEFT JOIN touchpoint tp ON tp.code = %(code)s

-- name: lock_credential_account
-- Checks of one account queue here until the checking transaction ends, so
-- that reserve_password_attempt counts every attempt before it (locks of
-- the space "cred"; the account as credential_account names it).
SELECT pg_advisory_xact_lock(1668441444, hashtext(credential_account(%(principal)s, %(kinds)s::text[])))

-- name: reserve_password_attempt
-- What a password is checked against: the user (by login, else by email) and
-- the customer (by email) a principal names, the OAuth client of that id,
-- the account the attempt counts against, and how long its attempts are
-- refused: retry_after (NULL: not throttled) counts the failures settled in
-- the window; an attempt that is not throttled but that the checks under way
-- on its account and address would take past a limit gets no reservation
-- (attempt_id NULL: busy, try again in a moment). Otherwise the attempt is
-- counted now, as pending, before its password is checked: a check that
-- fails settles it (settle_credential_failure), one that passes takes it
-- back (record_credential_success). So concurrent wrong attempts never pass
-- the account's limits: each sees the ones before it, whose checks are still
-- running. Failures that left every window are dropped on the way.
WITH account AS (
    SELECT credential_account(%(principal)s, %(kinds)s::text[]) AS name
), throttle AS (
    SELECT a.name,
           credential_retry_after(a.name, %(address)s::inet, %(window_s)s, %(per_pair)s, %(per_account)s,
                                  %(per_address)s, %(trusted)s, %(familiar_s)s, true) AS retry_after,
           credential_retry_after(a.name, %(address)s::inet, %(window_s)s, %(per_pair)s, %(per_account)s,
                                  %(per_address)s, %(trusted)s, %(familiar_s)s, false) IS NOT NULL AS full
    FROM account a
), expired AS (
    DELETE FROM credential_failure WHERE failed_at < clock_timestamp() - make_interval(secs => %(window_s)s)
), reserved AS (
    INSERT INTO credential_failure (account, address, pending)
    SELECT t.name, %(address)s::inet, true FROM throttle t WHERE t.retry_after IS NULL AND NOT t.full
    RETURNING id
)
SELECT
    (SELECT row_to_json(x) FROM (
        SELECT id, password_hash, disabled FROM app_user
        WHERE login = %(principal)s OR lower(email) = lower(%(principal)s)
        ORDER BY (login = %(principal)s) DESC LIMIT 1) x) AS user_login,
    (SELECT row_to_json(x) FROM (
        SELECT id, password_hash FROM customer WHERE lower(email) = lower(%(principal)s) LIMIT 1) x)
        AS customer_login,
    (SELECT row_to_json(x) FROM (
        SELECT client_id, secret_hash AS password_hash, scopes FROM oauth_client
        WHERE client_id = %(principal)s) x) AS client_login,
    t.name AS account, t.retry_after, (SELECT id FROM reserved) AS attempt_id
FROM throttle t

-- name: settle_credential_failure
-- A check failed: its pending attempt is a failure from now on.
UPDATE credential_failure SET pending = false WHERE id = %(attempt_id)s

-- name: record_credential_success
-- A check passed: its reserved failure is taken back, and the address is
-- one the account is familiar with from now on. Places not used within the
-- familiar period are dropped on the way.
WITH released AS (
    DELETE FROM credential_failure WHERE id = %(attempt_id)s
), forgotten AS (
    DELETE FROM credential_success WHERE succeeded_at < clock_timestamp() - make_interval(secs => %(familiar_s)s)
)
INSERT INTO credential_success (account, address) VALUES (%(account)s, %(address)s::inet)
ON CONFLICT (account, address) DO UPDATE SET succeeded_at = clock_timestamp()
