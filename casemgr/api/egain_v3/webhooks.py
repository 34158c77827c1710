"""Webhook subscriptions on v3 (ours, not eGain's): an integration (an OAuth
client, with a client token) subscribes a URL to the change feed and is
sent every change from then on, signed as Standard Webhooks sign.

Same conventions as the rest of v3 (bearer token, required
Accept-Language, JSON or XML, eGain error bodies), with one difference: the
calls need the client scope (app.core.casemgr.manage), so a user token is
403 (403-197).
"""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import wire
from casemgr.api.context import services
from casemgr.api.egain import docs
from casemgr.api.egain.responses import BODY_PARSERS, no_content, respond
from casemgr.api.egain_v3.views import documenter, install_hooks
from casemgr.api.egain_v3.webhook_schemas import (
    DELIVERIES_EXAMPLE,
    EVENT_EXAMPLE,
    WEBHOOK_CREATED_EXAMPLE,
    WEBHOOK_EXAMPLE,
    WEBHOOK_REQUEST_EXAMPLE,
    CaseChangedEvent,
    Webhook,
    WebhookCreated,
    WebhookDeliveries,
    WebhookRequest,
    Webhooks,
)
from casemgr.api.history import whole_number
from casemgr.api.wire import XML, format_datetime
from casemgr.domain.webhooks import DeliveryAttempt, Subscription
from casemgr.service.tokens import CLIENT_MANAGE_SCOPE
from casemgr.service.webhooks import DEFAULT_ATTEMPTS_SHOWN, MAX_ATTEMPTS_SHOWN

WEBHOOKS_PATH = "/core/casemgr/v3/webhooks"

blp = Blueprint("egain_v3_webhooks", __name__, url_prefix="/core/casemgr/v3",
                description="Webhooks (ours): a client token subscribes a URL to every change of every case, "
                            "posted as Standard Webhooks post them (signed, retried for 24 hours, at least once, "
                            "each case's changes in order). A user token is 403.")
install_hooks(blp, frozenset({CLIENT_MANAGE_SCOPE}))
document = documenter(blp)

_WEBHOOK_ID = {"in": "path", "name": "webhook_id", "required": True, "schema": {"type": "string"},
               "description": "The subscription's id.", "example": "7"}
_HEADERS = docs.CONTENT_LANGUAGE

_SIGNATURE_HEADERS = [
    {"in": "header", "name": "webhook-id", "required": True, "schema": {"type": "string"},
     "description": "The message's id: one per change and subscription, the same on every attempt; a receiver "
                    "that has processed it may answer 2xx again and do nothing.", "example": "msg_7_4102"},
    {"in": "header", "name": "webhook-timestamp", "required": True, "schema": {"type": "string"},
     "description": "When this attempt was sent, in seconds since 1970 (refuse one far from now).",
     "example": "1795341600"},
    {"in": "header", "name": "webhook-signature", "required": True, "schema": {"type": "string"},
     "description": "v1, and the base64 of the HMAC-SHA256, under the secret's bytes (the base64 after whsec_), "
                    "of the webhook-id, the webhook-timestamp and the body, joined by dots. A Standard Webhooks "
                    "verifier checks it.", "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
]

CALLBACKS = {"caseChanged": {"{$request.body#/url}": {"post": {
    "operationId": "receiveCaseChanged",
    "summary": "What the subscription's URL receives: one change of a case",
    "description": "One POST per change of the change feed, from the subscription's creation on, signed with "
                   "its secret. A 2xx answer within 10 seconds delivers it; any other answer, a redirect, a "
                   "timeout or a refused connection is retried with exponential backoff and jitter for 24 "
                   "hours, then given up (the next changes still come). At least once: the same webhook-id may "
                   "come twice. Each case's changes come in the order they were committed; a later change of a "
                   "case waits until the earlier one was delivered or given up.",
    "parameters": _SIGNATURE_HEADERS,
    "security": [],  # the receiver authenticates the delivery by its signature
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": CaseChangedEvent, "example": EVENT_EXAMPLE}}},
    "responses": {
        "2XX": {"description": "Delivered."},
        "4XX": {"description": "Not delivered: tried again later (as is any other answer)."},
    },
}}}}


def webhook_object(subscription: Subscription) -> dict:
    return {"id": str(subscription.id), "url": subscription.url, "description": subscription.description,
            "createdAt": format_datetime(subscription.created_at)}


def attempt_object(attempt: DeliveryAttempt) -> dict:
    return {
        "messageId": attempt.message_id, "cursor": attempt.cursor, "caseId": str(attempt.case_id),
        "attempt": attempt.attempt, "attemptedAt": format_datetime(attempt.attempted_at),
        "durationMs": attempt.duration_ms, "statusCode": attempt.status_code, "error": attempt.error,
        "outcome": attempt.outcome, "nextRetryAt": format_datetime(attempt.next_attempt_at),
    }


def subscription_id(text: str) -> int | None:
    """The id in the path; None for anything that is no id, which no
    subscription has (404 once the token was checked)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


@blp.route("/webhooks")
class WebhookCollection(MethodView):
    @document(
        400, operationId="createWebhook", summary="Subscribe a URL to every change",
        description="Creates a subscription of the token's client: from now on, every change of every case "
                    "(the change feed's) is posted to url. The answer carries the signing secret, shown this "
                    "once. The url's host must resolve, within 2 seconds, to globally reachable addresses only: "
                    "loopback, private, link-local, reserved, deprecated (6to4, Teredo, site-local) and cloud "
                    "metadata addresses, also written inside IPv6 (::ffff:127.0.0.1, 64:ff9b::7f00:1, "
                    "2002:7f00:1::), are refused (400-9029), here and again before every delivery. A client has "
                    "at most 25 subscriptions (configurable): one more is 400-9031 (details maxSubscriptions). "
                    "When the process is already waiting on as many name lookups as it allows, the call is 503 "
                    "(503-9006, Retry-After: 1) at once.",
        requestBody=docs.request_body(WebhookRequest, {"crm": {"summary": "Subscribe the CRM",
                                                                "value": WEBHOOK_REQUEST_EXAMPLE}}),
        callbacks=CALLBACKS,
    )
    @blp.response(201, WebhookCreated, description="The subscription, with its secret.",
                  example=WEBHOOK_CREATED_EXAMPLE,
                  headers={"Location": {"description": "The subscription's path.", "schema": {"type": "string"}},
                           **_HEADERS})
    @blp.alt_response(201, schema=WebhookCreated, content_type=XML, success=True,
                      description="The subscription, with its secret.")
    def post(self):
        wire.reject_query_parameters()
        body = wire.load_body(WebhookRequest(), BODY_PARSERS)
        created = services().webhooks.create(g.credentials, body["url"], body["description"])
        payload = {**webhook_object(created.subscription), "secret": created.secret}
        return respond(payload, 201, {"Location": f"{WEBHOOKS_PATH}/{created.subscription.id}"},
                       xml_root="webhook")

    @document(400, operationId="listWebhooks", summary="List the client's subscriptions",
              description="Every subscription of the token's client, oldest first (without secrets).")
    @blp.response(200, Webhooks, description="The subscriptions.", example={"webhooks": [WEBHOOK_EXAMPLE]},
                  headers=_HEADERS)
    @blp.alt_response(200, schema=Webhooks, content_type=XML, success=True, description="The subscriptions.")
    def get(self):
        wire.reject_query_parameters()
        found = services().webhooks.list(g.credentials)
        return respond({"webhooks": [webhook_object(s) for s in found]}, xml_root="webhookList")


@blp.route("/webhooks/<webhook_id>")
class WebhookItem(MethodView):
    @document(400, 404, operationId="getWebhook", summary="Read a subscription",
              description="One subscription of the token's client (without its secret); another client's is "
                          "404, as is an id that names none.",
              parameters=[_WEBHOOK_ID])
    @blp.response(200, Webhook, description="The subscription.", example=WEBHOOK_EXAMPLE, headers=_HEADERS)
    @blp.alt_response(200, schema=Webhook, content_type=XML, success=True, description="The subscription.")
    def get(self, webhook_id: str):
        wire.reject_query_parameters()
        found = services().webhooks.get(g.credentials, subscription_id(webhook_id))
        return respond(webhook_object(found), xml_root="webhook")

    @document(400, 404, operationId="deleteWebhook", summary="Delete a subscription",
              description="Deletes the subscription and its deliveries: no change is posted to it any more (one "
                          "already on its way may still arrive).",
              parameters=[_WEBHOOK_ID])
    @blp.response(204, description="Deleted.", headers=_HEADERS)
    def delete(self, webhook_id: str):
        wire.reject_query_parameters()
        services().webhooks.delete(g.credentials, subscription_id(webhook_id))
        return no_content()


@blp.route("/webhooks/<webhook_id>/deliveries")
class WebhookDeliveryList(MethodView):
    @document(
        400, 404, operationId="getWebhookDeliveries", summary="Recent delivery attempts of a subscription",
        description="The subscription's most recent attempts, newest first: which change (its cursor and case), "
                    "the receiver's status or why there was none, when, and when it is tried again. A change "
                    "that failed shows one attempt per try, with the backoff between them.",
        parameters=[_WEBHOOK_ID, {
            "in": "query", "name": "limit", "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ATTEMPTS_SHOWN,
                       "default": DEFAULT_ATTEMPTS_SHOWN},
            "description": f"At most this many attempts, up to {MAX_ATTEMPTS_SHOWN}."}],
    )
    @blp.response(200, WebhookDeliveries, description="The attempts.", example=DELIVERIES_EXAMPLE, headers=_HEADERS)
    @blp.alt_response(200, schema=WebhookDeliveries, content_type=XML, success=True, description="The attempts.")
    def get(self, webhook_id: str):
        wire.reject_query_parameters(allowed=("limit",))
        limit = whole_number("limit")
        found = services().webhooks.attempts(g.credentials, subscription_id(webhook_id),
                                             DEFAULT_ATTEMPTS_SHOWN if limit is None else limit)
        return respond({"deliveries": [attempt_object(a) for a in found]}, xml_root="webhookDeliveries")
