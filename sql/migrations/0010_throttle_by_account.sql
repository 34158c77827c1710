-- The credential throttle counts failures against the account a name
-- resolves to, and no longer locks the right credential out of the places
-- it is used from.
--
-- One bucket per account: a user typed as its login or its e-mail address
-- (in any case Postgres' lower() folds alike, a dotted capital I included),
-- a customer by its e-mail, an OAuth client by its id. A name that resolves
-- to none is counted as the name itself, folded the same way.
--
-- Familiar places: the per-account limit (the one an attacker reaches from
-- many addresses, to lock the account's owner out) does not hold against an
-- address from which that account passed a check within the familiar period,
-- nor against an address the operator trusts. The per account-and-address
-- limit and the per-address limit hold everywhere.

-- An attempt is counted when its check begins (pending) and settled as a
-- failure when the check fails; one that passes is taken back. Pending
-- attempts hold back the checks after them (so concurrent guesses never
-- pass a limit), but only settled failures earn a 429: a burst of right
-- passwords waits its turn instead of being locked out.
ALTER TABLE credential_failure ADD COLUMN pending boolean NOT NULL DEFAULT false;

-- Where each account last passed a check, kept for the familiar period.
CREATE TABLE credential_success (
    account      text NOT NULL,
    address      inet NOT NULL,
    succeeded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (account, address)
);
CREATE INDEX credential_success_age ON credential_success (succeeded_at);

-- The account a typed name is counted against, among the kinds a check
-- tries in their order: 'user:<id>', 'customer:<id>', 'client:<id>', or
-- 'name:<the name folded>'. The lookups match those that find the
-- principal to verify (reserve_password_attempt in
-- sql/queries/credentials.sql: a user by login before one by e-mail), so
-- the throttle and the check never disagree about who a name is.
CREATE FUNCTION credential_account(p_principal text, p_kinds text[]) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT k.kind || ':' || found.id
         FROM unnest(p_kinds) WITH ORDINALITY AS k (kind, position)
         CROSS JOIN LATERAL (
             (SELECT u.id::text AS id FROM app_user u
              WHERE k.kind = 'user' AND (u.login = p_principal OR lower(u.email) = lower(p_principal))
              ORDER BY (u.login = p_principal) DESC LIMIT 1)
             UNION ALL
             SELECT c.id::text FROM customer c WHERE k.kind = 'customer' AND lower(c.email) = lower(p_principal)
             UNION ALL
             SELECT o.client_id FROM oauth_client o WHERE k.kind = 'client' AND o.client_id = p_principal
             LIMIT 1) found
         ORDER BY k.position LIMIT 1),
        'name:' || left(lower(btrim(p_principal)), 255))
$$;

DROP FUNCTION credential_retry_after(text, inet, int, int, int, int);

-- Seconds until an attempt on this account from this address may be checked
-- again, or NULL when none of the limits is reached: the limit-th most recent
-- failure in the window must leave it first. The per-account limit is left
-- out for a trusted address and for one the account passed a check from
-- within familiar_s seconds. settled_only: count settled failures only,
-- else pending attempts too.
CREATE FUNCTION credential_retry_after(p_account text, p_address inet, window_s int,
                                       per_pair int, per_account int, per_address int,
                                       trusted boolean, familiar_s int, settled_only boolean)
RETURNS int LANGUAGE sql STABLE AS $$
    SELECT max(ceil(extract(epoch FROM f.failed_at + make_interval(secs => window_s) - clock_timestamp())))::int
    FROM (
        (SELECT failed_at FROM credential_failure
          WHERE account = p_account AND address = p_address
            AND failed_at > clock_timestamp() - make_interval(secs => window_s)
            AND NOT (settled_only AND pending)
          ORDER BY failed_at DESC OFFSET per_pair - 1 LIMIT 1)
        UNION ALL
        (SELECT failed_at FROM credential_failure
          WHERE account = p_account AND failed_at > clock_timestamp() - make_interval(secs => window_s)
            AND NOT (settled_only AND pending)
            AND NOT trusted
            AND NOT EXISTS (SELECT 1 FROM credential_success s
                            WHERE s.account = p_account AND s.address = p_address
                              AND s.succeeded_at > clock_timestamp() - make_interval(secs => familiar_s))
          ORDER BY failed_at DESC OFFSET per_account - 1 LIMIT 1)
        UNION ALL
        (SELECT failed_at FROM credential_failure
          WHERE address = p_address AND failed_at > clock_timestamp() - make_interval(secs => window_s)
            AND NOT (settled_only AND pending)
          ORDER BY failed_at DESC OFFSET per_address - 1 LIMIT 1)
    ) f
$$;

-- Failures counted so far were counted by the name as typed: they would
-- never meet the new buckets, so they are let go (at most one window's worth).
DELETE FROM credential_failure;
