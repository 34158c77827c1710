"""Wire shapes of the webhook subscriptions (v3, ours) and of the deliveries
they receive. The request body is loaded with ``WebhookRequest`` (shape and
types; lengths and the URL are judged by the domain); the answers are built
by ``casemgr.api.egain_v3.webhooks`` and documented here."""

from __future__ import annotations

from marshmallow import Schema, fields

from casemgr.api.egain.xml import CASE_NS
from casemgr.api.history_schemas import HistoryAuthor
from casemgr.domain.history import API_NAMES, FeedPosition
from casemgr.domain.webhooks import MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH
from casemgr.service.feed import encode_cursor
from casemgr.service.webhooks import MAX_ATTEMPTS_SHOWN

_DATE = {"format": "date-time"}
_ID = {"description": "The subscription's id.", "example": "7", "xml": {"attribute": True}}
_URL = {"description": "Where the changes are posted: an http or https URL whose host resolves to public "
                       "addresses only (checked again before each delivery), with no user name or password.",
        "maxLength": MAX_URL_LENGTH, "example": "https://hooks.example.com/casemgr"}
_DESCRIPTION = {"description": "Free text for the integrator.", "maxLength": MAX_DESCRIPTION_LENGTH,
                "example": "CRM sync"}


class WebhookRequest(Schema):
    class Meta:
        xml = {"name": "webhook", "namespace": CASE_NS}

    url = fields.String(required=True, metadata=_URL)
    description = fields.String(load_default="", metadata=_DESCRIPTION)


class Webhook(Schema):
    class Meta:
        xml = {"name": "webhook", "namespace": CASE_NS}

    id = fields.String(required=True, metadata=_ID)
    url = fields.String(required=True, metadata=_URL)
    description = fields.String(required=True, metadata=_DESCRIPTION)
    createdAt = fields.String(required=True, metadata={
        "description": "When it was created: it receives every change from then on.", **_DATE})


class WebhookCreated(Webhook):
    secret = fields.String(required=True, metadata={
        "description": "The signing secret (Standard Webhooks: whsec_ and base64). Shown this once; keep it "
                       "to verify the webhook-signature of every delivery.",
        "example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})


class Webhooks(Schema):
    class Meta:
        xml = {"name": "webhookList", "namespace": CASE_NS}

    webhooks = fields.List(fields.Nested(Webhook), required=True, metadata={"description": "Oldest first."})


class WebhookDeliveryAttempt(Schema):
    messageId = fields.String(required=True, metadata={
        "description": "The webhook-id the receiver got: one per change, the same on every attempt.",
        "example": "msg_7_4102"})
    cursor = fields.String(required=True, metadata={"description": "The change's cursor in the change feed."})
    caseId = fields.String(required=True, metadata={"example": "1013"})
    attempt = fields.Integer(required=True, metadata={"description": "1 for the change's first attempt.",
                                                      "example": 1})
    attemptedAt = fields.String(required=True, metadata=_DATE)
    durationMs = fields.Integer(required=True, metadata={"example": 12})
    statusCode = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The receiver's status; null when it did not answer.", "example": 503})
    error = fields.String(required=True, allow_none=True, metadata={
        "description": "Why there was no answer: connection refused, no answer within the timeout, or an "
                       "address the service does not call.", "example": None})
    outcome = fields.String(required=True, metadata={
        "enum": ["delivered", "retrying", "failed"],
        "description": "delivered (a 2xx), retrying (tried again at nextRetryAt) or failed (retries ran out; the "
                       "subscription goes on with the next changes)."})
    nextRetryAt = fields.String(required=True, allow_none=True, metadata={
        "description": "When the change is tried again (retrying only).", **_DATE})


class WebhookDeliveries(Schema):
    class Meta:
        xml = {"name": "webhookDeliveries", "namespace": CASE_NS}

    deliveries = fields.List(fields.Nested(WebhookDeliveryAttempt), required=True, metadata={
        "description": f"The most recent attempts, newest first (at most limit, up to {MAX_ATTEMPTS_SHOWN})."})


# -- what a receiver gets ---------------------------------------------------------

class CaseChangedData(Schema):
    caseId = fields.String(required=True, metadata={"example": "1013"})
    lastModified = fields.String(required=True, metadata={"description": "The case's version after the change.",
                                                          **_DATE})
    api = fields.String(required=True, metadata={"enum": sorted(set(API_NAMES.values()))})
    user = fields.Nested(HistoryAuthor, required=True, allow_none=True, metadata={
        "description": "Who made the change; null for a load."})
    fields_ = fields.List(fields.String(), required=True, data_key="fields", metadata={
        "description": "The fields the change changed, in the history's vocabulary."})
    cursor = fields.String(required=True, metadata={
        "description": "The change's cursor in the change feed (GET /core/casemgr/v3/changes?after=…)."})


class CaseChangedEvent(Schema):
    type = fields.String(required=True, metadata={"enum": ["case.changed"]})
    timestamp = fields.String(required=True, metadata={"description": "When the change was written.", **_DATE})
    data = fields.Nested(CaseChangedData, required=True)


WEBHOOK_REQUEST_EXAMPLE = {"url": "https://hooks.example.com/casemgr", "description": "CRM sync"}
WEBHOOK_EXAMPLE = {"id": "7", "url": "https://hooks.example.com/casemgr", "description": "CRM sync",
                   "createdAt": "2026-11-22T10:00:00.000Z"}
WEBHOOK_CREATED_EXAMPLE = {**WEBHOOK_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
_CURSOR = encode_cursor(FeedPosition(702, 4102))
DELIVERIES_EXAMPLE = {"deliveries": [
    {"messageId": "msg_7_4102", "cursor": _CURSOR, "caseId": "1013", "attempt": 2,
     "attemptedAt": "2026-11-22T10:00:31.020Z", "durationMs": 9, "statusCode": 204, "error": None,
     "outcome": "delivered", "nextRetryAt": None},
    {"messageId": "msg_7_4102", "cursor": _CURSOR, "caseId": "1013", "attempt": 1,
     "attemptedAt": "2026-11-22T10:00:01.004Z", "durationMs": 3, "statusCode": None,
     "error": "connection refused", "outcome": "retrying", "nextRetryAt": "2026-11-22T10:00:31.000Z"},
]}
EVENT_EXAMPLE = {"type": "case.changed", "timestamp": "2026-11-22T10:00:00.130Z", "data": {
    "caseId": "1013", "lastModified": "2026-11-22T10:00:00.123Z", "api": "v12",
    "user": {"id": "1001", "name": "frank", "type": "user"}, "fields": ["subject", "severity"], "cursor": _CURSOR}}
