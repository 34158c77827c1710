"""Webhook subscriptions, deliveries and attempts (``sql/queries/webhooks.sql``)."""

from __future__ import annotations

from casemgr.db.jsonvalues import parse_timestamp, to_jsonb
from casemgr.db.repositories import NamedQueries
from casemgr.domain.history import FeedPosition
from casemgr.domain.webhooks import AttemptOutcome, ClaimedDelivery, DeliveryAttempt, Subscription, message_id

# The advisory lock space of "a worker is moving this subscription's position".
_POSITION_LOCKS = 0x77686B73  # "whks"
# The advisory lock space of "a subscription of this client is being created".
_CREATION_LOCKS = 0x7768636C  # "whcl"


class PgWebhookRepository(NamedQueries):
    # -- subscriptions ----------------------------------------------------------

    def insert_subscription(self, client_id: str, url: str, description: str, sealed_secret: bytes,
                            position: FeedPosition) -> Subscription:
        return subscription_from_row(self._one("insert_webhook_subscription", {
            "client_id": client_id, "url": url, "description": description, "sealed_secret": sealed_secret,
            "feed_xid": str(position.xid), "feed_entry_id": position.entry_id}))

    def count_subscriptions(self, client_id: str) -> int:
        return self._one("count_webhook_subscriptions", {"client_id": client_id})["subscriptions"]

    def lock_and_count_subscriptions(self, client_id: str) -> int:
        """The client's subscriptions, counted after taking the lock that
        makes its creations take turns (held until the transaction ends);
        the lock travels with the count."""
        self.statements.queue("lock_client_webhook_subscriptions", {
            "lock_space": _CREATION_LOCKS, "client_id": client_id})
        return self.count_subscriptions(client_id)

    def subscriptions(self, client_id: str) -> list[Subscription]:
        return [subscription_from_row(r) for r in self._all("list_webhook_subscriptions", {"client_id": client_id})]

    def subscription(self, client_id: str, subscription_id: int) -> Subscription | None:
        row = self._one("get_webhook_subscription", {"client_id": client_id, "id": subscription_id})
        return subscription_from_row(row) if row else None

    def delete_subscription(self, client_id: str, subscription_id: int) -> bool:
        return self._one("delete_webhook_subscription", {"client_id": client_id, "id": subscription_id}) is not None

    def attempts(self, client_id: str, subscription_id: int, limit: int) -> list[DeliveryAttempt] | None:
        row = self._one("list_webhook_attempts", {"client_id": client_id, "id": subscription_id, "limit": limit})
        return [attempt_from_json(a) for a in row["attempts"]] if row["found"] else None

    # -- the worker ---------------------------------------------------------------

    def subscriptions_behind(self) -> list[int]:
        """The subscriptions with a change after their position."""
        return [r["id"] for r in self._all("list_webhook_subscriptions_behind", {})]

    def lock_position(self, subscription_id: int) -> FeedPosition | None:
        """The subscription's feed position, locked for this transaction;
        None when another worker holds it, or the subscription is gone."""
        locked = self.statements.queue_read("try_lock_webhook_subscription", {
            "lock_space": _POSITION_LOCKS, "id": subscription_id})
        row = self._one("get_webhook_subscription_position", {"id": subscription_id})
        if not locked.row()["locked"] or row is None:
            return None
        return FeedPosition(int(row["feed_xid"]), row["feed_entry_id"])

    def enqueue(self, subscription_id: int, deliveries: list[dict]) -> None:
        """Queued: sent with the position's move, at the commit."""
        self.statements.queue("enqueue_webhook_deliveries", {
            "subscription_id": subscription_id, "deliveries": to_jsonb(deliveries)})

    def move_position(self, subscription_id: int, position: FeedPosition) -> None:
        self.statements.queue("move_webhook_subscription_position", {
            "id": subscription_id, "feed_xid": str(position.xid), "feed_entry_id": position.entry_id})

    def due_subscriptions(self) -> list[int]:
        return [r["subscription_id"] for r in self._all("list_due_webhook_subscriptions", {})]

    def target(self, subscription_id: int) -> tuple[str, bytes] | None:
        """The subscription's URL and sealed secret; None once it was deleted."""
        row = self._one("get_webhook_target", {"id": subscription_id})
        return (row["url"], bytes(row["sealed_secret"])) if row else None

    def claim(self, subscription_id: int, lease_token: str, lease_seconds: float, limit: int) -> list[ClaimedDelivery]:
        rows = self._all("claim_webhook_deliveries", {
            "subscription_id": subscription_id, "lease_token": lease_token, "lease_seconds": lease_seconds,
            "limit": limit})
        return [ClaimedDelivery(id=r["id"], subscription_id=subscription_id, history_id=r["history_id"],
                                case_id=r["case_id"], body=r["body"], attempt=r["attempts"],
                                first_attempt_at=r["first_attempt_at"], claimed_at=r["claimed_at"])
                for r in sorted(rows, key=lambda r: r["history_id"])]

    def record_and_claim(self, lease_token: str, outcomes: list[AttemptOutcome], subscription_id: int,
                         next_token: str | None, lease_seconds: float, limit: int) -> tuple[int, list[ClaimedDelivery]]:
        """Records a batch's outcomes (those whose lease the worker still
        held: how many) and, with ``next_token``, claims the next batch in
        the same round trip (one implicit transaction: the claim sees what
        was just recorded)."""
        recorded = self.statements.queue_read("record_webhook_attempts", {
            "lease_token": lease_token, "outcomes": to_jsonb([{
                "delivery_id": o.delivery_id, "state": o.state, "retry_in": o.retry_in_seconds,
                "attempted_at": o.attempted_at.isoformat(), "duration_ms": o.duration_ms,
                "status_code": o.status_code, "error": o.error} for o in outcomes])})
        batch = self.claim(subscription_id, next_token, lease_seconds, limit) if next_token else []
        return recorded.row()["recorded"], batch

    def retry_backlog(self) -> int:
        return self._one("count_webhook_retry_backlog", {})["backlog"]

    def purge_finished(self, older_than_days: int) -> int:
        return self.statements.run("purge_finished_webhook_deliveries", {"days": older_than_days})


def subscription_from_row(row: dict) -> Subscription:
    return Subscription(id=row["id"], client_id=row["client_id"], url=row["url"], description=row["description"],
                        created_at=row["created_at"])


def attempt_from_json(row: dict) -> DeliveryAttempt:
    return DeliveryAttempt(
        delivery_id=row["delivery_id"], message_id=message_id(row["subscription_id"], row["history_id"]),
        cursor=row["cursor"], case_id=row["case_id"], attempt=row["attempt"],
        attempted_at=parse_timestamp(row["attempted_at"]), duration_ms=row["duration_ms"],
        status_code=row["status_code"], error=row["error"], outcome=row["outcome"],
        next_attempt_at=parse_timestamp(row["next_attempt_at"]),
    )

