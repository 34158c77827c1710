"""Webhook subscriptions on v3 (ours): a client token creates, lists, reads
and deletes its own, at most 25 of them; the secret is shown once and stored
sealed; a URL must lead to a globally reachable address (checked after
resolving its name, which may take 2 seconds at most) unless private
targets are allowed; a user token is 403."""

from __future__ import annotations

import base64
import threading
import time

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
    """The password grant no longer gives the client's scope (test_egain_v3),
    but a user token stored with it (issued before that) is still a user's."""
    v3 = EgainV3Client(private_app.test_client())
    token = v3.token("frank").get_json()["access_token"]
    db.execute("UPDATE oauth_token SET scope = 'core.casemgr.manage app.core.casemgr.manage'")
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
    ("http://0.0.0.0/", "a 'this network' address"),
    ("http://localhost:9/hook", "a loopback address"),  # checked after resolving the name
    # The issue's: IPv4 inside IPv6, and deprecated blocks.
    ("http://[2002:7f00:1::]/", "the 6to4 form of 127.0.0.1, a loopback address"),
    ("http://[2002:a9fe:a9fe::]/latest/meta-data/", "the 6to4 form of 169.254.169.254, a cloud metadata address"),
    ("https://[2002:a00:1::]/", "the 6to4 form of 10.0.0.1, a private address"),
    ("http://[fec0::1]/", "a site-local address (deprecated)"),
    ("http://[3fff::1]/", "a documentation address"),
    ("http://192.88.99.1/", "a 6to4 relay anycast address (deprecated)"),
    ("http://[64:ff9b::7f00:1]/", "the NAT64 form of 127.0.0.1, a loopback address"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "a Teredo address whose client is 127.0.0.1"),
    ("http://[::ffff:a9fe:a9fe]/", "the IPv4-mapped form of 169.254.169.254, a cloud metadata address"),
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


@pytest.fixture
def app_with(db_url, monkeypatch):
    """An app with private targets allowed, the given settings and, when
    given, a resolver in place of the system's (the boundary the app looks
    names up through)."""
    made = []

    def make(resolve=None, **settings):
        if resolve is not None:
            monkeypatch.setattr("casemgr.outbound.resolve_host", resolve)
        app = create_app(Settings(**{"database_url": db_url, "pool_size": 4, "webhook_allow_private_targets": True,
                                     **settings}))
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["casemgr.database"].close()


def test_the_26th_subscription_is_refused_until_one_is_deleted(app_with, db):
    looked_up = []

    def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    v3 = EgainV3Client(app_with(resolve).test_client())
    ids = []
    for number in range(25):
        created = create(v3, f"https://hooks.example.com/{number}")
        assert created.status_code == 201, (number, created.get_data(as_text=True))
        ids.append(created.get_json()["id"])
    refused = create(v3, "https://hooks.example.com/26")
    assert refused.status_code == 400, refused.get_data(as_text=True)
    body = refused.get_json()
    assert body["code"] == "400-9031" and body["details"] == [{"key": "maxSubscriptions", "value": "25"}]
    assert "as many as a client may have (25)" in body["developerMessage"]
    assert len(looked_up) == 25, "a create at the limit is refused before its host is looked up"
    assert len(stored(db)) == 25

    assert v3.client.delete(f"{WEBHOOKS}/{ids[0]}", headers=v3.headers("client")).status_code == 204
    assert create(v3, "https://hooks.example.com/again").status_code == 201
    assert create(v3, "https://hooks.example.com/27").get_json()["code"] == "400-9031"
    assert len(stored(db)) == 25


def test_the_limit_is_a_setting_and_counts_the_clients_own_subscriptions_only(app_with, db):
    db.execute("INSERT INTO oauth_client (client_id, secret_hash) VALUES ('other', 'x')")
    for _ in range(2):
        db.execute("INSERT INTO webhook_subscription (client_id, url, sealed_secret, feed_xid, feed_entry_id) "
                   "VALUES ('other', 'https://other.example/', '\\x00', '1', 0)")
    v3 = EgainV3Client(app_with(webhook_max_subscriptions_per_client=2).test_client())
    assert [create(v3, "http://127.0.0.1:9/").status_code for _ in range(3)] == [201, 201, 400]


def test_creations_racing_at_24_make_25_never_26(app_with, db):
    """Eight creations of one client pass the first count together (the
    lookup holds them all until the last has passed it), then race into the
    insert: the count under the client's lock lets exactly one through."""
    for number in range(24):
        db.execute("INSERT INTO webhook_subscription (client_id, url, sealed_secret, feed_xid, feed_entry_id) "
                   "VALUES ('crm', %s, '\\x00', '1', 0)", (f"https://hooks.example.com/{number}",))
    racers = 8
    all_counted = threading.Barrier(racers)

    def resolve(host: str, port: int) -> list[str]:
        all_counted.wait(10)
        return ["127.0.0.1"]

    app = app_with(resolve, threads=2 * racers, pool_size=racers + 2)
    v3 = EgainV3Client(app.test_client())
    v3.session("client")  # one token, made before the race
    answers: list = [None] * racers

    def race(index: int) -> None:
        mine = EgainV3Client(app.test_client())
        mine.sessions = v3.sessions
        answers[index] = create(mine, f"https://hooks.example.com/racer-{index}")

    threads = [threading.Thread(target=race, args=(index,)) for index in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [400] * (racers - 1), [a.get_data(as_text=True) for a in answers]
    assert {a.get_json()["code"] for a in answers if a.status_code == 400} == {"400-9031"}
    assert len(stored(db)) == 25


def test_a_name_server_that_never_answers_costs_a_create_the_lookup_timeout_and_no_more_than_two_places(
        app_with, db):
    """With 4 request threads, 2 lookups may wait at once: each create waits
    0.2 s (the configured timeout) and is refused as a host that did not
    resolve; while both lookups still wait on the name server, the next
    create is 503 at once, held back a second by the edge; once they end,
    creates look names up again."""
    answer_now = threading.Event()

    def silent(host: str, port: int) -> list[str]:
        answer_now.wait(30)
        return ["127.0.0.1"]

    v3 = EgainV3Client(app_with(silent, webhook_lookup_timeout_seconds=0.2, threads=4).test_client())
    for _ in range(2):
        refused = create(v3, "https://hooks.example.com/casemgr")
        assert refused.status_code == 400, refused.get_data(as_text=True)
        assert refused.get_json()["code"] == "400-9029"
        assert "did not resolve within 0.2 s" in refused.get_json()["developerMessage"]
    busy = create(v3, "https://hooks.example.com/casemgr")
    assert busy.status_code == 503 and busy.get_json()["code"] == "503-9006", busy.get_data(as_text=True)
    assert busy.headers["Retry-After"] == "1" and busy.headers["X-Casemgr-Hold"] == "1"
    # An address is not looked up: it never waits for a place.
    assert create(v3, "http://127.0.0.1:9/").status_code == 201
    answer_now.set()
    created = None
    for _ in range(100):
        created = create(v3, "https://hooks.example.com/casemgr")
        if created.status_code != 503:
            break
        time.sleep(0.05)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert [row[2] for row in stored(db)] == ["http://127.0.0.1:9/", "https://hooks.example.com/casemgr"]
