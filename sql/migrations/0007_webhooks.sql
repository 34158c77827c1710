-- Webhooks: subscriptions that follow the change feed, and the deliveries
-- of each change to each subscription, with every attempt
-- (casemgr.service.webhooks, casemgr.service.delivery, sql/queries/webhooks.sql).

-- A subscription of an OAuth client. Its secret is stored sealed (AES-GCM
-- under a key derived from server_key): it must be readable to sign, so it
-- cannot be hashed, and a copy of the table alone signs nothing.
-- (feed_xid, feed_entry_id): the subscription's place in the change feed
-- (casemgr.domain.history.FeedPosition); every change after it is still to
-- be enqueued. It starts at the feed's horizon when the subscription is
-- created, so a subscription receives the changes made from then on.
CREATE TABLE webhook_subscription (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id       text NOT NULL REFERENCES oauth_client (client_id) ON DELETE CASCADE,
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    sealed_secret   bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    feed_xid        xid8 NOT NULL,
    feed_entry_id   bigint NOT NULL,
    -- when a worker last moved the position on: the least recent goes first
    advanced_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscription_client ON webhook_subscription (client_id, id);

-- One change (a case_history entry) to one subscription: enqueued once
-- (the unique key), pending until a 2xx answer (delivered) or until retries
-- ran out (failed). A worker that takes it holds a lease (lease_token,
-- lease_until); a lease that ran out (its worker died) lets another take it.
-- history_id is not a foreign key: the delivery says what was sent, whatever
-- becomes of the history.
CREATE TABLE webhook_delivery (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id   bigint NOT NULL REFERENCES webhook_subscription (id) ON DELETE CASCADE,
    history_id        bigint NOT NULL,
    case_id           bigint NOT NULL,
    cursor            text NOT NULL,
    body              text NOT NULL,
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    enqueued_at       timestamptz NOT NULL DEFAULT now(),
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    first_attempt_at  timestamptz,
    finished_at       timestamptz,
    lease_token       uuid,
    lease_until       timestamptz,
    UNIQUE (subscription_id, history_id)
);
-- What a worker looks for: pending deliveries that are due, and for each the
-- earlier pending deliveries of the same case (per-case order).
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_delivery_case_order ON webhook_delivery (subscription_id, case_id, history_id)
    WHERE state = 'pending';
CREATE INDEX webhook_delivery_finished ON webhook_delivery (finished_at) WHERE state <> 'pending';

-- Every attempt, as the deliveries list shows it.
CREATE TABLE webhook_attempt (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id      bigint NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
    subscription_id  bigint NOT NULL,
    attempt          integer NOT NULL,
    attempted_at     timestamptz NOT NULL,
    duration_ms      integer NOT NULL,
    status_code      integer,
    error            text,
    outcome          text NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed')),
    next_attempt_at  timestamptz
);
CREATE INDEX webhook_attempt_recent ON webhook_attempt (subscription_id, id DESC);
CREATE INDEX webhook_attempt_delivery ON webhook_attempt (delivery_id);
