"""What a client is told when the database does not answer as asked: a
statement stopped at the statement timeout is 503-9005 with no Retry-After
(retrying the same request at once would cost as much again); only a database
that cannot be reached is 503-9001, with Retry-After: 1; a row lock held too
long stays 503-9002, with Retry-After: 1. The same on every API."""

from __future__ import annotations

import psycopg
import pytest

from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.thalamus_v4_client import ThalamusV4Client


def readers(client) -> dict:
    """A read of case 1013 through each API, with credentials got beforehand."""
    v12, v3, v4 = EgainV12Client(client), EgainV3Client(client), ThalamusV4Client(client)
    v12.session("frank"), v3.session("frank")
    return {"v12": lambda: v12.read(1013), "v3": lambda: v3.read(1013), "v4": lambda: v4.read(1013)}


def code_of(api: str, response) -> str:
    if api == "v4":
        errors = response.get_json()["errors"]
        return next(f"{key}: {code}" for key, code in errors.items() if not key.startswith("execution."))
    return response.get_json()["code"]


@pytest.fixture
def held_table(db_url):
    """Another transaction holding every case row out of reach until released."""
    holder = psycopg.connect(db_url)

    def hold():
        holder.execute("LOCK TABLE support_case IN ACCESS EXCLUSIVE MODE")
    yield hold
    holder.rollback()
    holder.close()


@pytest.mark.parametrize("api, code", [("v12", "503-9005"), ("v3", "503-9005"), ("v4", "system: StatementTimeout")])
def test_a_statement_stopped_at_the_statement_timeout_is_503_9005_without_retry_after(app_with, held_table, db,
                                                                                      api, code):
    # The lock timeout is off, so the read's statement runs until the statement
    # timeout stops it, as a statement too expensive for the timeout would.
    client = app_with(statement_timeout_ms=300, lock_timeout_ms=0)
    read = readers(client)[api]
    assert read().status_code == 200
    held_table()
    response = read()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert code_of(api, response) == code
    assert "Retry-After" not in response.headers
    text = response.get_data(as_text=True)
    assert "statement timeout" in text and "300 ms" in text
    assert "unavailable" not in text.lower()


def test_the_statement_timeout_names_itself_in_the_users_language(app_with, held_table):
    client = app_with(statement_timeout_ms=300, lock_timeout_ms=0)
    v3 = EgainV3Client(client)
    v3.session("frank")
    held_table()
    response = v3.read(1013, **{"Accept-Language": "de-DE", "X-egain-error-message": "yes"})
    assert response.status_code == 503
    assert response.get_json()["userMessage"] == (
        "Die Anfrage hat zu lange gedauert und wurde abgebrochen. Bitte grenzen Sie sie ein oder versuchen Sie es "
        "später erneut.")


def test_a_database_that_cannot_be_reached_is_503_9001_with_retry_after_1(db_url):
    from casemgr import create_app
    from casemgr.config import Settings

    # Nothing listens on port 1: every connection attempt is refused.
    app = create_app(Settings(database_url="postgresql://postgres@127.0.0.1:1/casemgr", statement_timeout_ms=300))
    try:
        client = app.test_client()
        answers = {
            "v12": client.post("/ws/v12/authentication/user/login", json={"userName": "frank", "password": "x"},
                               headers={"Accept": "application/json"}),
            "v4": ThalamusV4Client(client).read(1013),
        }
    finally:
        app.extensions["casemgr.database"].close()
    assert answers["v12"].status_code == 503 and answers["v12"].get_json()["code"] == "503-9001"
    assert answers["v4"].status_code == 503 and code_of("v4", answers["v4"]) == "system: Unavailable"
    for response in answers.values():
        assert response.headers["Retry-After"] == "1"


def test_a_row_lock_held_too_long_stays_503_9002_with_retry_after_1(app_with, db_url):
    client = app_with(lock_timeout_ms=200)
    v12 = EgainV12Client(client)
    last_modified = v12.last_modified(1013)
    with psycopg.connect(db_url) as holder:
        holder.execute("SELECT 1 FROM support_case WHERE id = 1013 FOR UPDATE")
        response = v12.edit(1013, {"subject": "while locked"}, last_modified=last_modified)
        holder.rollback()
    assert response.status_code == 503
    assert response.get_json()["code"] == "503-9002"
    assert response.headers["Retry-After"] == "1"
