"""One principal's expensive reads (searches, history pages, feed pages)
under way are bounded: one more is 429 with Retry-After and each API's
error body, while every other principal reads on."""

from __future__ import annotations

from contextlib import contextmanager

from casemgr.domain.model import Actor, UserFacts
from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.thalamus_v4_client import ThalamusV4Client, errors_of

FRANK = Actor.for_user(UserFacts(id=1001, login="frank"))


@contextmanager
def all_slots_taken(app, actor: Actor):
    """Holds every read slot of ``actor``, as reads under way would."""
    slots = app.extensions["casemgr"].read_slots
    held = [slots.taken_by(actor) for _ in range(slots.per_principal)]
    for slot in held:
        slot.__enter__()
    try:
        yield
    finally:
        for slot in held:
            slot.__exit__(None, None, None)


def test_a_principal_at_its_limit_gets_429_on_every_api_and_others_read_on(app, client):
    v12, v3, v4 = EgainV12Client(client), EgainV3Client(client), ThalamusV4Client(client)
    with all_slots_taken(app, FRANK):
        refused = [
            client.get("/ws/v12/interaction/case/1013/history", headers=v12.headers("frank")),
            client.get("/core/casemgr/v3/case/1013/history", headers=v3.headers("frank")),
            client.get("/core/casemgr/v3/changes", headers=v3.headers("frank")),
        ]
        for response in refused:
            assert response.status_code == 429, response.get_data(as_text=True)
            assert response.headers["Retry-After"] == "1"
            assert response.get_json()["code"] == "429-9002"
        thalamus = client.get("/api/v4/cases/1013/history", headers=v4.headers("frank"))
        assert thalamus.status_code == 429
        assert errors_of(thalamus, 429)["errors"] == {
            "principal": "TooManyRequests",
            "execution.principal": "execution.principal: This principal already has 2 searches, history or "
                                   "feed reads under way; retry when one has answered."}
        # Another user, a client token and a customer read on; so does frank's plain read.
        assert client.get("/ws/v12/interaction/case/1003/history", headers=v12.headers("alice")).status_code == 200
        assert client.get("/core/casemgr/v3/changes", headers=v3.headers("client")).status_code == 200
        assert client.get("/api/v4/cases/1013/history", headers=v4.headers("john@example.com")).status_code == 200
        assert v12.read(1013).status_code == 200
    assert client.get("/ws/v12/interaction/case/1013/history", headers=v12.headers("frank")).status_code == 200
