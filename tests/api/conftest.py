"""Fixtures for tests that go through HTTP: an app on a fresh copy of the test
world, clients that speak each eGain API, and a way to see that a refused
request changed nothing."""

from __future__ import annotations

import psycopg
import pytest

from casemgr import create_app
from casemgr.config import Settings
from tests.api.clients import EgainV3Client, EgainV12Client, EgainV12XmlClient


@pytest.fixture
def app(db_url):
    app = create_app(Settings(database_url=db_url, pool_size=4))
    yield app
    app.extensions["casemgr.database"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def v12(client):
    return EgainV12Client(client)


@pytest.fixture
def v3(client):
    return EgainV3Client(client)


EGAIN_CLIENTS = {"v12": EgainV12Client, "v3": EgainV3Client, "v12-xml": EgainV12XmlClient}


@pytest.fixture(params=list(EGAIN_CLIENTS))
def egain(request, client):
    """Each eGain API in turn: a rule must give the same answer through all."""
    return EGAIN_CLIENTS[request.param](client)


SNAPSHOT_QUERIES = {
    "cases": "SELECT * FROM support_case ORDER BY id",
    "relations": "SELECT * FROM case_relation ORDER BY 1, 2",
    "custom_values": "SELECT case_id, custom_field_id, value::text FROM case_custom_value ORDER BY 1, 2",
    "comments": "SELECT * FROM case_comment ORDER BY id",
    "history": "SELECT * FROM case_history ORDER BY id",
}


def snapshot(conn: psycopg.Connection) -> dict:
    """Every row a write could touch: equal snapshots mean nothing changed."""
    return {name: conn.execute(sql).fetchall() for name, sql in SNAPSHOT_QUERIES.items()}


@pytest.fixture
def unchanged(db):
    """Call ``unchanged.check()`` after a refused request: it fails if any case,
    relation, custom value, comment or history row differs from before."""

    class Guard:
        def __init__(self):
            self.before = snapshot(db)

        def check(self):
            after = snapshot(db)
            for name in SNAPSHOT_QUERIES:
                assert after[name] == self.before[name], f"{name} changed by a refused request"

    return Guard()
