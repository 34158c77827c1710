"""Test fixtures on a real Postgres.

``CASEMGR_TEST_DATABASE_URL`` names a server to use (CI and the development
machines run Postgres 15 at 127.0.0.1:5432); without it the embedded server
is started in a temporary directory and deleted afterwards. Either way the run
creates its own databases: a template migrated once (and one with the test
world loaded), cloned for each test, all dropped at the end. A server that
cannot be reached fails the run; nothing is skipped.
"""

from __future__ import annotations

import os
import queue
import secrets
import threading

# Argon2 at production cost takes 0.1-0.5 s a hash here; hundreds of logins
# would cost minutes. Read by Settings.from_env: the loader hashes the test
# world's passwords with it, and the servers the tests start read it.
os.environ.setdefault("CASEMGR_PASSWORD_HASH_PROFILE", "cheapest")
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from casemgr.db import embedded, migrate

FIXTURES = Path(__file__).parent / "fixtures"
RUN_ID = secrets.token_hex(4)


@pytest.fixture(scope="session")
def server_url():
    url = os.environ.get("CASEMGR_TEST_DATABASE_URL")
    if url:
        with psycopg.connect(url, connect_timeout=5):  # fail loudly, never skip
            pass
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="casemgr-test-pg-") as data_dir:
        yield embedded.start(Path(data_dir), delete_on_exit=True)


class DatabaseFactory:
    """Creates databases on the test server and drops them all at the end.

    A test's database is dropped in a thread of its own while the next
    tests run: Postgres 15 waits for a checkpoint on every DROP DATABASE
    (0.1 to 1.3 s on this suite's machine), which was most of an API
    test's time."""

    def __init__(self, server_url: str):
        self.server_url = server_url
        self.created: list[str] = []
        self._to_drop: queue.Queue[str | None] = queue.Queue()
        self._dropper = threading.Thread(target=self._drop_in_turn, name="database-dropper", daemon=True)
        self._dropper.start()

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.server_url, autocommit=True)

    def create(self, suffix: str, template: str | None = None) -> str:
        name = f"casemgr_test_{RUN_ID}_{suffix}"
        with self.admin() as conn:
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(statement)
        self.created.append(name)
        return name

    def url(self, name: str) -> str:
        return embedded.with_database(self.server_url, name)

    def drop(self, name: str) -> None:
        """Dropped soon, in the background (``drop_all`` waits for it)."""
        self._to_drop.put(name)

    def drop_all(self) -> None:
        self._to_drop.put(None)
        self._dropper.join()
        for name in list(self.created):
            self._drop_now(name)

    def _drop_in_turn(self) -> None:
        while (name := self._to_drop.get()) is not None:
            self._drop_now(name)

    def _drop_now(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self.created.remove(name)


@pytest.fixture(scope="session")
def databases(server_url):
    factory = DatabaseFactory(server_url)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def migrated_template(databases):
    name = databases.create("migrated")
    migrate.upgrade(databases.url(name))
    return name


@pytest.fixture(scope="session")
def world_template(databases, migrated_template):
    """The migrated schema with tests/fixtures/world.yaml loaded."""
    from casemgr.db.loader import load_file

    name = databases.create("world", template=migrated_template)
    load_file(databases.url(name), FIXTURES / "world.yaml")
    return name


_counter = iter(range(1_000_000))


@pytest.fixture
def empty_db_url(databases, migrated_template):
    """A fresh, migrated, empty database for this test."""
    name = databases.create(f"t{next(_counter)}", template=migrated_template)
    yield databases.url(name)
    databases.drop(name)


@pytest.fixture
def db_url(databases, world_template):
    """A fresh database holding the test world, for this test alone."""
    name = databases.create(f"t{next(_counter)}", template=world_template)
    yield databases.url(name)
    databases.drop(name)


@pytest.fixture
def db(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        yield conn


# -- the app over HTTP (API, browser and reliability tests) -------------------

@pytest.fixture
def app(db_url):
    """The app on this test's own copy of the test world."""
    from casemgr import create_app
    from casemgr.config import Settings

    app = create_app(Settings(database_url=db_url, pool_size=4))
    yield app
    app.extensions["casemgr.database"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def v12(client):
    from tests.api.clients import EgainV12Client

    return EgainV12Client(client)


@pytest.fixture
def v3(client):
    from tests.api.clients import EgainV3Client

    return EgainV3Client(client)


@pytest.fixture
def unchanged(db):
    """Call ``unchanged.check()`` after a refused request: it fails if any case,
    relation, custom value, comment or history row differs from before."""
    from tests.rows import SNAPSHOT_QUERIES, snapshot

    class Guard:
        def __init__(self):
            self.before = snapshot(db)

        def check(self):
            after = snapshot(db)
            for name in SNAPSHOT_QUERIES:
                assert after[name] == self.before[name], f"{name} changed by a refused request"

    return Guard()
