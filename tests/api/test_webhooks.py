"""Webhook subscriptions on v3 (ours): a client token creates, lists, reads
and deletes its own; the secret is shown once and stored sealed; a URL must
lead to a public address (checked after resolving its name) unless private
targets are allowed; a user token is 403."""

from __future__ import annotations

import base64

import pytest

from casemgr import create_app
from casemgr.config import Settings
from casemgr.service.webhooks import WebhookSecrets
from tests.api.clients import EgainV3Client

WEBHOOKS = "/core/casemgr/v3/webhooks"


@pytest.fixture
def private_app(db_url):
    """The app with private targets allowed, as the tests' receivers on 127.0.0.1 need."""
    app = create_app(Settings(database_url=db_url, pool_size=4, webhook_allow_private_targets=True))
    yield app
    app.extensions["casemgr.database"].close()


def create(v3: EgainV3Client, url: str, user: str = "client", **body):
    return v3.client.post(WEBHOOKS, json={"url": url, **body}, headers=v3.headers(user))


def stored(db) -> list[tuple]:
    return db.execute("SELECT id, client_id, url FROM webhook_subscription ORDER BY id").fetchall()


def test_a_client_subscribes_a_url_reads_it_back_without_its_secret_and_deletes_it(private_app, db):
    v3 = EgainV3Client(private_app.test_client())
    created = create(v3, "http://127.0.0.1:9/hook", description="CRM sync")
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert set(body) == {"id", "url", "description", "secret", "createdAt"}
    assert (body["url"], body["description"]) == ("http://127.0.0.1:9/hook", "CRM sync")
    assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) == 32
    assert created.headers["Location"] == f"{WEBHOOKS}/{body['id']}"
    shown = {k: v for k, v in body.items() if k != "secret"}

    listed = v3.client.get(WEBHOOKS, headers=v3.headers("client"))
    assert listed.status_code == 200 and listed.get_json() == {"webhooks": [shown]}
    read = v3.client.get(f"{WEBHOOKS}/{body['id']}", headers=v3.headers("client"))
    assert read.status_code == 200 and read.get_json() == shown
    assert v3.client.get(f"{WEBHOOKS}/{body['id']}/deliveries", headers=v3.headers("client")).get_json() == {
        "deliveries": []}

    deleted = v3.client.delete(f"{WEBHOOKS}/{body['id']}", headers=v3.headers("client"))
    assert deleted.status_code == 204 and deleted.get_data() == b""
    for method in ("get", "delete"):
        gone = getattr(v3.client, method)(f"{WEBHOOKS}/{body['id']}", headers=v3.headers("client"))
        assert gone.status_code == 404 and gone.get_json()["code"] == "404-9003"
    assert stored(db) == []


def test_the_secret_is_stored_sealed_and_opens_only_with_the_server_key(private_app, db):
    v3 = EgainV3Client(private_app.test_client())
    secret = create(v3, "http://127.0.0.1:9/").get_json()["secret"]
    sealed = bytes(db.execute("SELECT sealed_secret FROM webhook_subscription").fetchone()[0])
    raw = base64.b64decode(secret[6:])
    assert secret.encode() not in sealed and raw not in sealed
    server_key = bytes(db.execute("SELECT key FROM server_key").fetchone()[0])
    assert WebhookSecrets(lambda: server_key).open(sealed) == secret
    with pytest.raises(Exception):
        WebhookSecrets(lambda: bytes(32)).open(sealed)


def test_a_user_token_is_403_with_the_client_scope_challenge_and_no_token_is_401(private_app, db):
    v3 = EgainV3Client(private_app.test_client())
    for call in (lambda h: v3.client.post(WEBHOOKS, json={"url": "http://127.0.0.1:9/"}, headers=h),
                 lambda h: v3.client.get(WEBHOOKS, headers=h),
                 lambda h: v3.client.post(WEBHOOKS, json={"nonsense": 1}, headers=h)):
        refused = call(v3.headers("frank"))
        assert refused.status_code == 403 and refused.get_json()["code"] == "403-197"
        assert 'error="insufficient_scope", scope="app.core.casemgr.manage"' in refused.headers["WWW-Authenticate"]
        anonymous = call(v3.headers(None))
        assert anonymous.status_code == 401 and anonymous.get_json()["code"] == "401-101"
    assert stored(db) == []


def test_a_user_token_granted_the_client_scope_is_still_refused(private_app, db):
    """A password grant may ask for the client's scope; the token is still a user's."""
    v3 = EgainV3Client(private_app.test_client())
    token = v3.token("frank", scope="app.core.casemgr.manage").get_json()["access_token"]
    refused = v3.client.post(WEBHOOKS, json={"url": "http://127.0.0.1:9/"},
                             headers={"Accept-Language": "en-US", "Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "403-197"
    assert stored(db) == []


REFUSED_TARGETS = [
    ("http://127.0.0.1:8080/hook", "a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
    ("http://[fd00:ec2::254]/", "a cloud metadata address"),
    ("http://[::1]:9/", "a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "a loopback address"),
    ("https://10.1.2.3/", "a private address"),
    ("http://192.168.0.10/", "a private address"),
    ("http://169.254.10.20/", "a link-local address"),
    ("http://0.0.0.0/", "a private address"),
    ("http://localhost:9/hook", "a loopback address"),  # checked after resolving the name
]


def test_a_target_on_the_services_own_network_is_refused(client, db):
    """One database for the whole table: a refusal changes nothing."""
    v3 = EgainV3Client(client)
    for url, reason in REFUSED_TARGETS:
        refused = create(v3, url)
        assert refused.status_code == 400, (url, refused.get_data(as_text=True))
        body = refused.get_json()
        assert body["code"] == "400-9029" and reason in body["developerMessage"], (url, body)
        assert {"key": "attribute", "value": "url"} in body["details"]
    assert stored(db) == []


def test_a_name_that_does_not_resolve_is_refused(client, db):
    refused = create(EgainV3Client(client), "https://no-such-host.invalid/hook")
    assert refused.status_code == 400 and refused.get_json()["code"] == "400-9029"
    assert "does not resolve" in refused.get_json()["developerMessage"]


NOT_HTTP_URLS = [
    ("ftp://example.com/hook", "http or https"),
    ("file:///etc/passwd", "http or https"),
    ("hooks.example.com/casemgr", "http or https"),
    ("http:///path", "names no host"),
    ("https://user:secret@example.com/", "user name or password"),
    ("http://example.com:99999/", "not a valid URL"),
    ("https://example.com/" + "a" * 2048, "longer than 2048"),
]


def test_a_url_that_is_not_an_http_url_is_400_152(client, db):
    v3 = EgainV3Client(client)
    for url, says in NOT_HTTP_URLS:
        refused = create(v3, url)
        assert refused.status_code == 400 and refused.get_json()["code"] == "400-152", url
        assert says in refused.get_json()["developerMessage"], url
    assert stored(db) == []


WRONG_BODIES = [
    ({}, "400-9003"),
    ({"url": 5}, "400-152"),
    ({"url": None}, "400-9010"),
    ({"url": "http://127.0.0.1:9/", "secret": "mine"}, "400-9004"),
    ({"url": "http://127.0.0.1:9/", "description": "x" * 1025}, "400-9009"),
]


def test_a_body_of_the_wrong_shape_is_refused_and_stores_nothing(private_app, db):
    v3 = EgainV3Client(private_app.test_client())
    for body, code in WRONG_BODIES:
        refused = v3.client.post(WEBHOOKS, json=body, headers=v3.headers("client"))
        assert refused.status_code == 400 and refused.get_json()["code"] == code, (body, refused.get_json())
    assert stored(db) == []


def test_private_targets_are_allowed_only_by_the_setting(private_app, client):
    assert create(EgainV3Client(client), "http://127.0.0.1:9/").status_code == 400
    assert create(EgainV3Client(private_app.test_client()), "http://127.0.0.1:9/").status_code == 201


def test_a_client_sees_only_its_own_subscriptions(private_app, db):
    db.execute("INSERT INTO oauth_client (client_id, secret_hash) VALUES ('other', 'x')")
    other = db.execute("INSERT INTO webhook_subscription (client_id, url, sealed_secret, feed_xid, feed_entry_id) "
                       "VALUES ('other', 'https://other.example/', '\\x00', '1', 0) RETURNING id").fetchone()[0]
    v3 = EgainV3Client(private_app.test_client())
    assert v3.client.get(WEBHOOKS, headers=v3.headers("client")).get_json() == {"webhooks": []}
    for call in (v3.client.get, v3.client.delete):
        assert call(f"{WEBHOOKS}/{other}", headers=v3.headers("client")).status_code == 404
    deliveries = v3.client.get(f"{WEBHOOKS}/{other}/deliveries", headers=v3.headers("client"))
    assert deliveries.status_code == 404 and deliveries.get_json()["code"] == "404-9003"
    assert [row[0] for row in stored(db)] == [other]


def test_an_id_that_names_no_subscription_is_404_after_the_token_is_checked(client):
    v3 = EgainV3Client(client)
    for webhook_id in ("abc", "99999999999999999999999", "0", "42"):
        missing = v3.client.get(f"{WEBHOOKS}/{webhook_id}", headers=v3.headers("client"))
        assert missing.status_code == 404 and missing.get_json()["code"] == "404-9003", webhook_id
        assert v3.client.get(f"{WEBHOOKS}/{webhook_id}", headers=v3.headers(None)).status_code == 401


def test_the_deliveries_list_refuses_a_bad_limit_or_another_parameter(private_app):
    v3 = EgainV3Client(private_app.test_client())
    webhook_id = create(v3, "http://127.0.0.1:9/").get_json()["id"]
    for query, code in (("?limit=0", "400-152"), ("?limit=201", "400-152"), ("?limit=x", "400-152"),
                        ("?page=2", "400-101")):
        refused = v3.client.get(f"{WEBHOOKS}/{webhook_id}/deliveries{query}", headers=v3.headers("client"))
        assert refused.status_code == 400 and refused.get_json()["code"] == code, query
    assert v3.client.get(f"{WEBHOOKS}/{webhook_id}/deliveries?limit=200",
                         headers=v3.headers("client")).status_code == 200


def test_subscriptions_speak_xml_too(private_app):
    v3 = EgainV3Client(private_app.test_client())
    body = (b'<webhook xmlns="http://bindings.egain.com/ws/model/v12/gen/case">'
            b"<url>http://127.0.0.1:9/x</url><description>xml</description></webhook>")
    created = v3.client.post(WEBHOOKS, data=body, content_type="application/xml",
                             headers=v3.headers("client", Accept="application/xml"))
    assert created.status_code == 201 and created.mimetype == "application/xml"
    assert b"<secret>whsec_" in created.get_data() and b"<url>http://127.0.0.1:9/x</url>" in created.get_data()
