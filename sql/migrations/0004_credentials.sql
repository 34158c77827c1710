-- One way in for the three APIs: the key that tags every credential the
-- service issues, the failed credential checks that throttle guessing, and
-- customer sessions held to a cap like users'.

-- The key of the tag on every issued session id and token
-- (casemgr.service.credentials): a forged or malformed one is refused before
-- its request is read, without a query. One key per database, so every app
-- process and host that shares the database shares it. 32 random bytes from
-- two version-4 UUIDs (gen_random_uuid draws on the server's strong random
-- source; 244 of the 256 bits are random).
CREATE TABLE server_key (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    key       bytea NOT NULL CHECK (length(key) = 32)
);
INSERT INTO server_key (key)
VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));

-- Sessions and tokens issued before this migration carry no tag: they end
-- here, and their holders log in again.
DELETE FROM auth_session;
DELETE FROM oauth_token;

-- Failed credential checks (a wrong password or client secret, an unknown
-- principal), per account name and client address, kept for the throttle's
-- window. Nothing is ever locked for good: a limit frees up as its oldest
-- failure leaves the window.
CREATE TABLE credential_failure (
    id        bigserial PRIMARY KEY,
    account   text NOT NULL,
    address   inet NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX credential_failure_account ON credential_failure (account, failed_at);
CREATE INDEX credential_failure_address ON credential_failure (address, failed_at);
CREATE INDEX credential_failure_age ON credential_failure (failed_at);

-- Seconds until an attempt on this account from this address may be checked
-- again, or NULL when none of the three limits is reached: the limit-th most
-- recent failure in the window must leave it first. Written once, used by
-- every credential check that involves a password or a client secret.
CREATE FUNCTION credential_retry_after(p_account text, p_address inet, window_s int,
                                       per_pair int, per_account int, per_address int)
RETURNS int LANGUAGE sql STABLE AS $$
    SELECT max(ceil(extract(epoch FROM f.failed_at + make_interval(secs => window_s) - clock_timestamp())))::int
    FROM (
        (SELECT failed_at FROM credential_failure
          WHERE account = p_account AND address = p_address
            AND failed_at > clock_timestamp() - make_interval(secs => window_s)
          ORDER BY failed_at DESC OFFSET per_pair - 1 LIMIT 1)
        UNION ALL
        (SELECT failed_at FROM credential_failure
          WHERE account = p_account AND failed_at > clock_timestamp() - make_interval(secs => window_s)
          ORDER BY failed_at DESC OFFSET per_account - 1 LIMIT 1)
        UNION ALL
        (SELECT failed_at FROM credential_failure
          WHERE address = p_address AND failed_at > clock_timestamp() - make_interval(secs => window_s)
          ORDER BY failed_at DESC OFFSET per_address - 1 LIMIT 1)
    ) f
$$;

CREATE INDEX auth_session_customer ON auth_session (customer_id, created_at) WHERE customer_id IS NOT NULL;
