"""The webhook worker: moves every subscription along the change feed and
delivers what it enqueued, signed (Standard Webhooks), retried, at least once.

Two steps, which any number of workers run side by side, coordinated only
through Postgres:

1. **Enqueue.** For each subscription, in one transaction: take its position
   (an advisory lock: one worker at a time per subscription, the others skip
   it), read the feed after it (``changes_after``, every case), insert one
   delivery per change and move the position past them. A worker killed in
   between rolls back: the position did not move, and the next worker
   enqueues the same changes. A change is enqueued once per subscription (a
   unique key).
2. **Deliver.** Each subscription with due deliveries gets a lane (an asyncio
   task): it claims up to ``concurrency`` deliveries under a lease (``FOR
   UPDATE SKIP LOCKED``; each the earliest pending change of its case, so a
   case's changes arrive in feed order), posts them at once, records each
   outcome while it still holds the lease, and claims again. Lanes run side
   by side, so a slow or dead receiver holds up only its own lane. A lease
   outlasts any attempt (the HTTP timeout plus a margin), so two healthy
   workers never attempt the same delivery; a worker killed mid-batch
   leaves its leases to run out, and another worker then takes those
   deliveries (the receiver may see them twice: at least once).

Why Postgres and ``SKIP LOCKED`` rather than a task library: the work is
already rows (the feed, the subscriptions), the enqueue must commit with
the position's move, and the per-case order is a condition on the other
pending deliveries of the case, which one query states and a queue of
independent jobs does not.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol

from standardwebhooks.webhooks import Webhook

from casemgr import metrics
from casemgr.domain import webhooks
from casemgr.domain.history import FeedChange
from casemgr.domain.versions import format_timestamp
from casemgr.domain.visibility import SUBSCRIBER_VIEW
from casemgr.domain.webhooks import AttemptOutcome, ClaimedDelivery, RetryPolicy
from casemgr.service.errors import ServiceUnavailable
from casemgr.service.feed import changes_after, encode_cursor
from casemgr.service.unit_of_work import UnitsOfWork
from casemgr.service.webhooks import WebhookSecrets

log = logging.getLogger(__name__)

EVENT_TYPE = "case.changed"
# Finished deliveries (and their attempts) are kept this long, then purged.
KEEP_FINISHED_DAYS = 7
_UPKEEP_SECONDS = 5.0  # the retry backlog gauge
_PURGE_SECONDS = 600.0
# A lane with nothing to deliver for this long ends (and closes its client).
_LANE_IDLE_SECONDS = 60.0


@dataclass(frozen=True)
class SendResult:
    status_code: int | None  # None: no answer
    error: str | None
    duration_ms: int


class LaneSender(Protocol):
    async def post(self, body: bytes, headers: dict[str, str]) -> SendResult: ...


class Sender(Protocol):
    """HTTP out (``casemgr.outbound``): one client per lane, for one URL."""

    def lane(self, url: str) -> AbstractAsyncContextManager[LaneSender]: ...


@dataclass(frozen=True)
class WorkerSettings:
    poll_seconds: float
    lease_seconds: float
    concurrency: int  # deliveries in flight per subscription
    retry: RetryPolicy
    feed_page: int = 500
    # On stop, attempts under way get this long to finish; their leases
    # run out if they do not.
    stop_grace_seconds: float = 5.0


def event_body(change: FeedChange) -> str:
    """The JSON a subscription receives for one change of the feed; the
    same bytes on every attempt."""
    author = change.author
    return json.dumps({
        "type": EVENT_TYPE,
        "timestamp": format_timestamp(change.date),
        "data": {
            "caseId": str(change.case_id),
            "lastModified": format_timestamp(change.last_modified),
            "api": change.api,
            "user": {"id": author.id, "name": author.name, "type": author.kind} if author else None,
            "fields": list(change.fields),
            "cursor": encode_cursor(change.position),
        },
    }, ensure_ascii=False, separators=(",", ":"))


def signed_headers(signer: Webhook, msg_id: str, body: str, sent_at: datetime) -> dict[str, str]:
    sent_at = sent_at.replace(microsecond=0)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signer.sign(msg_id, sent_at, body),
        "content-type": "application/json",
    }


@dataclass
class _Lane:
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None


class DeliveryWorker:
    def __init__(self, units: UnitsOfWork, secrets: WebhookSecrets, sender: Sender,
                 settings: WorkerSettings, jitter: Callable[[], float] = lambda: random.uniform(-1.0, 1.0)):
        self._units = units
        self._secrets = secrets
        self._sender = sender
        self.settings = settings
        self._jitter = jitter
        self._stopping = asyncio.Event()
        self.attempts_made = 0

    # -- enqueue (blocking: run in a thread) -------------------------------------

    def enqueue_all(self) -> int:
        with self._units(transaction=False) as uow:
            behind = uow.webhooks.subscriptions_behind()
        return sum(self.enqueue(subscription_id) for subscription_id in behind)

    def enqueue(self, subscription_id: int) -> int:
        """The changes after the subscription's position, enqueued with the
        position's move in one transaction (three round trips: the lock and
        the position, the feed, the writes with COMMIT); 0 when another
        worker is at it."""
        with self._units() as uow:
            position = uow.webhooks.lock_position(subscription_id)
            if position is None:
                return 0
            page = changes_after(uow, position, self.settings.feed_page, SUBSCRIBER_VIEW.readable_departments())
            changes = SUBSCRIBER_VIEW.feed_changes(page.changes)
            if changes:
                uow.webhooks.enqueue(subscription_id, [
                    {"history_id": c.position.entry_id, "case_id": c.case_id, "cursor": encode_cursor(c.position),
                     "body": event_body(c)} for c in changes])
            if page.next != position:
                uow.webhooks.move_position(subscription_id, page.next)
            uow.commit()
        return len(page.changes)

    # -- deliver -----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set: enqueue, wake the lane of each subscription
        with due deliveries (starting it if need be), wait a poll interval."""
        self._stopping = stop
        lanes: dict[int, _Lane] = {}
        failures, next_upkeep, next_purge = 0, 0.0, time.monotonic() + _PURGE_SECONDS
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.enqueue_all)
                for subscription_id in await asyncio.to_thread(self._due_subscriptions):
                    lane = lanes.get(subscription_id)
                    if lane is None:
                        lane = lanes[subscription_id] = _Lane()
                        lane.task = asyncio.create_task(self._lane(subscription_id, lane.wake))
                    lane.wake.set()
                if time.monotonic() >= next_upkeep:
                    await asyncio.to_thread(self._observe_backlog)
                    next_upkeep = time.monotonic() + _UPKEEP_SECONDS
                if time.monotonic() >= next_purge:
                    await asyncio.to_thread(self._purge)
                    next_purge = time.monotonic() + _PURGE_SECONDS
                failures = 0
            except ServiceUnavailable as exc:
                failures += 1
                log.warning("webhook worker: database unavailable (%s); retrying", exc)
            lanes = {key: lane for key, lane in lanes.items() if not lane.task.done()}
            await _wait(stop, self.settings.poll_seconds * min(2 ** failures, 20))
        await self._finish(lanes)

    async def _finish(self, lanes: dict[int, "_Lane"]) -> None:
        """Idle lanes end at once; busy ones get the grace period to finish
        their batch and record it, then are cancelled (their leases run out)."""
        if not lanes:
            return
        for lane in lanes.values():
            lane.wake.set()
        _, unfinished = await asyncio.wait([lane.task for lane in lanes.values()],
                                           timeout=self.settings.stop_grace_seconds)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _lane(self, subscription_id: int, wake: asyncio.Event) -> None:
        """Claims, posts and records the subscription's due deliveries until
        none is left, then waits to be woken; keeps its client (and its
        connections to the receiver) meanwhile, and ends after a while idle.
        Never raises: a fault ends the lane, and the leases it held run out."""
        try:
            found = await asyncio.to_thread(self._target, subscription_id)
            if found is None:
                return
            url, secret = found
            signer = Webhook(secret)
            async with self._sender.lane(url) as sender:
                while not self._stopping.is_set():
                    wake.clear()
                    await self._deliver_due(subscription_id, sender, signer)
                    try:
                        await asyncio.wait_for(wake.wait(), timeout=_LANE_IDLE_SECONDS)
                    except TimeoutError:
                        return
        except ServiceUnavailable as exc:
            log.warning("webhook worker: subscription %s paused, database unavailable (%s)", subscription_id, exc)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one lane's fault must not stop the others
            log.exception("webhook worker: subscription %s failed", subscription_id)

    async def _deliver_due(self, subscription_id: int, sender: LaneSender, signer: Webhook) -> None:
        lease_token = str(uuid.uuid4())
        batch = await asyncio.to_thread(self._claim, subscription_id, lease_token)
        while batch:
            claimed = time.monotonic()
            outcomes = await asyncio.gather(*(self._attempt(sender, signer, d, claimed) for d in batch))
            next_token = None if self._stopping.is_set() else str(uuid.uuid4())
            batch = await asyncio.to_thread(self._record_and_claim, subscription_id, lease_token,
                                            list(outcomes), next_token)
            lease_token = next_token

    async def _attempt(self, sender: LaneSender, signer: Webhook, delivery: ClaimedDelivery,
                       claimed: float) -> AttemptOutcome:
        # The database's clock, as every other time of the deliveries.
        attempted_at = delivery.claimed_at + timedelta(seconds=time.monotonic() - claimed)
        msg_id = webhooks.message_id(delivery.subscription_id, delivery.history_id)
        headers = signed_headers(signer, msg_id, delivery.body, datetime.now(timezone.utc))
        result = await sender.post(delivery.body.encode("utf-8"), headers)
        return self.judge(delivery, result, attempted_at)

    def judge(self, delivery: ClaimedDelivery, result: SendResult, attempted_at: datetime) -> AttemptOutcome:
        """Delivered on a 2xx; otherwise retried after the policy's backoff,
        or failed for good once the retry window is spent."""
        retry_in = None
        if webhooks.succeeded(result.status_code):
            state = webhooks.DELIVERED
        else:
            elapsed = (attempted_at - delivery.first_attempt_at).total_seconds() + result.duration_ms / 1000
            retry_in = self.settings.retry.next_delay(delivery.attempt, elapsed, self._jitter())
            state = webhooks.PENDING if retry_in is not None else webhooks.FAILED
        return AttemptOutcome(delivery_id=delivery.id, state=state, retry_in_seconds=retry_in,
                              attempted_at=attempted_at, duration_ms=result.duration_ms,
                              status_code=result.status_code, error=result.error)

    # -- the database steps of a lane (blocking: run in a thread) ---------------------

    def _due_subscriptions(self) -> list[int]:
        with self._units(transaction=False) as uow:
            return uow.webhooks.due_subscriptions()

    def _target(self, subscription_id: int) -> tuple[str, str] | None:
        with self._units(transaction=False) as uow:
            found = uow.webhooks.target(subscription_id)
        if found is None:
            return None
        url, sealed = found
        return url, self._secrets.open(sealed)

    def _claim(self, subscription_id: int, lease_token: str) -> list[ClaimedDelivery]:
        with self._units(transaction=False) as uow:
            return uow.webhooks.claim(subscription_id, lease_token, self.settings.lease_seconds,
                                      self.settings.concurrency)

    def _record_and_claim(self, subscription_id: int, lease_token: str, outcomes: list[AttemptOutcome],
                          next_token: str | None) -> list[ClaimedDelivery]:
        with self._units(transaction=False) as uow:
            recorded, batch = uow.webhooks.record_and_claim(lease_token, outcomes, subscription_id, next_token,
                                                            self.settings.lease_seconds, self.settings.concurrency)
        self.attempts_made += len(outcomes)
        for outcome in outcomes:
            metrics.WEBHOOK_DELIVERIES.labels(outcome.outcome).inc()
        if recorded < len(outcomes):
            log.warning("webhook worker: %d attempt(s) not recorded, their lease ran out", len(outcomes) - recorded)
        return batch

    def _observe_backlog(self) -> None:
        with self._units(transaction=False) as uow:
            metrics.WEBHOOK_RETRY_BACKLOG.set(uow.webhooks.retry_backlog())

    def _purge(self) -> None:
        with self._units(transaction=False) as uow:
            uow.webhooks.purge_finished(KEEP_FINISHED_DAYS)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout=seconds)
    except TimeoutError:
        pass
