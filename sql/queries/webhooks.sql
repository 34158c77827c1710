-- Webhooks: subscriptions (an OAuth client's own), the deliveries a worker
-- enqueues from the change feed, claims under a lease and records (migration
-- 0007; casemgr.service.webhooks, casemgr.service.delivery).

-- name: insert_webhook_subscription
INSERT INTO webhook_subscription (client_id, url, description, sealed_secret, feed_xid, feed_entry_id)
VALUES (%(client_id)s, %(url)s, %(description)s, %(sealed_secret)s, %(feed_xid)s::text::xid8, %(feed_entry_id)s)
RETURNING id, client_id, url, description, created_at

-- name: lock_client_webhook_subscriptions
-- One creation at a time per client, until its transaction ends, so that
-- the count read after it sees every subscription the client's other
-- creations committed (READ COMMITTED: a new snapshot per statement): two
-- creations racing at the limit cannot both pass. An advisory lock, not
-- the client's row FOR UPDATE: a row lock would give the transaction an xid
-- before it reads the feed's horizon (see try_lock_webhook_subscription).
SELECT pg_advisory_xact_lock(%(lock_space)s, hashtext(%(client_id)s))

-- name: count_webhook_subscriptions
SELECT count(*) AS subscriptions FROM webhook_subscription WHERE client_id = %(client_id)s

-- name: list_webhook_subscriptions
SELECT id, client_id, url, description, created_at
FROM webhook_subscription WHERE client_id = %(client_id)s ORDER BY id

-- name: get_webhook_subscription
SELECT id, client_id, url, description, created_at
FROM webhook_subscription WHERE client_id = %(client_id)s AND id = %(id)s

-- name: delete_webhook_subscription
DELETE FROM webhook_subscription WHERE client_id = %(client_id)s AND id = %(id)s RETURNING id

-- name: list_webhook_attempts
-- The subscription's most recent attempts, newest first; found is false for
-- a subscription that is not the client's.
SELECT
    EXISTS (SELECT 1 FROM webhook_subscription s WHERE s.client_id = %(client_id)s AND s.id = %(id)s) AS found,
    COALESCE((SELECT json_agg(a ORDER BY a.id DESC) FROM (
        SELECT a.id, d.id AS delivery_id, d.subscription_id, d.history_id, d.cursor, d.case_id, a.attempt, a.attempted_at, a.duration_ms,
               a.status_code, a.error, a.outcome, a.next_attempt_at
        FROM webhook_attempt a
        JOIN webhook_delivery d ON d.id = a.delivery_id
        JOIN webhook_subscription s ON s.id = d.subscription_id
        WHERE a.subscription_id = %(id)s AND s.client_id = %(client_id)s
        ORDER BY a.id DESC
        LIMIT %(limit)s) a), '[]'::json) AS attempts

-- name: list_webhook_subscriptions_behind
-- The subscriptions with a change after their position (an index probe of
-- the feed each), the one whose position moved least recently first. A
-- change not yet final (above the horizon) counts too: the worker reads on
-- to the horizon and finds it later.
SELECT s.id FROM webhook_subscription s
WHERE EXISTS (SELECT 1 FROM case_history h WHERE (h.feed_xid, h.id) > (s.feed_xid, s.feed_entry_id))
ORDER BY s.advanced_at, s.id

-- name: try_lock_webhook_subscription
-- Only one worker at a time moves a subscription's position. An advisory
-- lock, not FOR UPDATE: a row lock would give the worker's transaction an
-- xid before it reads the feed, and the feed's horizon (the snapshot's
-- xmin) would then wait for that transaction too.
SELECT pg_try_advisory_xact_lock(%(lock_space)s, (%(id)s::bigint %% 2147483648)::int) AS locked

-- name: get_webhook_subscription_position
-- Read in a statement after the lock was taken, so its snapshot sees the
-- position the worker that held the lock last committed.
SELECT feed_xid::text AS feed_xid, feed_entry_id FROM webhook_subscription WHERE id = %(id)s

-- name: enqueue_webhook_deliveries
INSERT INTO webhook_delivery (subscription_id, history_id, case_id, cursor, body)
SELECT %(subscription_id)s, d.history_id, d.case_id, d.cursor, d.body
FROM jsonb_to_recordset(%(deliveries)s::jsonb) AS d(history_id bigint, case_id bigint, cursor text, body text)
ORDER BY d.history_id
ON CONFLICT (subscription_id, history_id) DO NOTHING

-- name: move_webhook_subscription_position
UPDATE webhook_subscription
SET feed_xid = %(feed_xid)s::text::xid8, feed_entry_id = %(feed_entry_id)s, advanced_at = now()
WHERE id = %(id)s

-- name: list_due_webhook_subscriptions
-- Subscriptions with a delivery to attempt now that no live lease holds.
SELECT DISTINCT subscription_id FROM webhook_delivery
WHERE state = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until <= now())

-- name: get_webhook_target
SELECT url, sealed_secret FROM webhook_subscription WHERE id = %(id)s

-- name: claim_webhook_deliveries
-- Up to limit deliveries of one subscription, due and not leased, each the
-- earliest pending change of its case (a later change of a case waits until
-- the earlier one was delivered or failed for good), taken under a lease.
-- SKIP LOCKED: two workers claiming at once never take the same delivery.
WITH claimable AS (
    SELECT d.id FROM webhook_delivery d
    WHERE d.subscription_id = %(subscription_id)s
      AND d.state = 'pending'
      AND d.next_attempt_at <= now()
      AND (d.lease_until IS NULL OR d.lease_until <= now())
      AND NOT EXISTS (SELECT 1 FROM webhook_delivery e
                      WHERE e.subscription_id = d.subscription_id AND e.case_id = d.case_id
                        AND e.state = 'pending' AND e.history_id < d.history_id)
    ORDER BY d.history_id
    LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_delivery d
SET lease_token = %(lease_token)s::uuid,
    lease_until = now() + make_interval(secs => %(lease_seconds)s),
    attempts = d.attempts + 1,
    first_attempt_at = coalesce(d.first_attempt_at, now())
FROM claimable
WHERE d.id = claimable.id
RETURNING d.id, d.history_id, d.case_id, d.body, d.attempts, d.first_attempt_at, now() AS claimed_at

-- name: record_webhook_attempts
-- The outcome of each attempt of a batch, for the deliveries the worker
-- still holds the lease of (a worker whose lease ran out records nothing:
-- another has taken the delivery). retry_in: seconds until the next
-- attempt, when state stays pending.
WITH outcome AS (
    SELECT * FROM jsonb_to_recordset(%(outcomes)s::jsonb) AS o(
        delivery_id bigint, state text, retry_in double precision, attempted_at timestamptz,
        duration_ms integer, status_code integer, error text)
), recorded AS (
    UPDATE webhook_delivery d
    SET state = o.state,
        next_attempt_at = CASE WHEN o.state = 'pending' THEN now() + make_interval(secs => o.retry_in)
                               ELSE d.next_attempt_at END,
        finished_at = CASE WHEN o.state = 'pending' THEN NULL ELSE now() END,
        lease_token = NULL,
        lease_until = NULL
    FROM outcome o
    WHERE d.id = o.delivery_id AND d.lease_token = %(lease_token)s::uuid
    RETURNING d.id, d.subscription_id, d.attempts, d.state, d.next_attempt_at
), attempt AS (
    INSERT INTO webhook_attempt (delivery_id, subscription_id, attempt, attempted_at, duration_ms, status_code, error,
                                 outcome, next_attempt_at)
    SELECT r.id, r.subscription_id, r.attempts, o.attempted_at, o.duration_ms, o.status_code, o.error,
           CASE r.state WHEN 'pending' THEN 'retrying' ELSE r.state END,
           CASE WHEN r.state = 'pending' THEN r.next_attempt_at END
    FROM recorded r JOIN outcome o ON o.delivery_id = r.id
    RETURNING 1
)
SELECT count(*) AS recorded FROM attempt

-- name: count_webhook_retry_backlog
-- Deliveries waiting to be tried again after a failed attempt.
SELECT count(*) AS backlog FROM webhook_delivery WHERE state = 'pending' AND attempts > 0

-- name: purge_finished_webhook_deliveries
DELETE FROM webhook_delivery WHERE state <> 'pending' AND finished_at < now() - make_interval(days => %(days)s)
