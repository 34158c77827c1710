-- OAuth 2 clients and bearer tokens (only SHA-256 hashes of tokens are stored).

-- name: get_oauth_client
SELECT client_id, secret_hash, scopes FROM oauth_client WHERE client_id = %(client_id)s

-- name: create_oauth_token
INSERT INTO oauth_token (token_hash, client_id, user_id, scope, expires_at)
VALUES (%(token_hash)s, %(client_id)s, %(user_id)s, %(scope)s,
        clock_timestamp() + make_interval(secs => %(lifetime_s)s))

-- name: get_live_oauth_token
SELECT client_id, user_id, scope FROM oauth_token
WHERE token_hash = %(token_hash)s AND expires_at > clock_timestamp()

-- name: revoke_oauth_token
-- RFC 7009 revocation: the token is gone, so every later use of it is refused
-- like an expired one's. Tokens are 32 random bytes: none is ever issued again.
DELETE FROM oauth_token WHERE token_hash = %(token_hash)s AND client_id = %(client_id)s

-- name: purge_expired_oauth_tokens
DELETE FROM oauth_token WHERE expires_at < clock_timestamp() - interval '1 day'
