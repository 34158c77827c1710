"""The services a request works with, wired once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from casemgr.service.auth import Authenticator, SessionService
from casemgr.service.cases import CaseService
from casemgr.service.creation import CaseCreationService
from casemgr.service.credentials import CredentialTags
from casemgr.service.fairshare import ReadSlots
from casemgr.service.feed import ChangeFeed
from casemgr.service.history import HistoryService
from casemgr.service.tokens import TokenService
from casemgr.service.webhooks import WebhookService


@dataclass(frozen=True)
class Services:
    cases: CaseService
    sessions: SessionService
    tokens: TokenService
    creation: CaseCreationService
    history: HistoryService
    feed: ChangeFeed
    webhooks: WebhookService
    auth: Authenticator
    tags: CredentialTags
    trusted_proxies: tuple  # ip networks whose X-Forwarded-For is believed
    read_slots: ReadSlots  # the expensive reads under way, per principal
    is_ready: object  # () -> bool: the database answers


def services() -> Services:
    return current_app.extensions["casemgr"]
