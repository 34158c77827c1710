"""The unit of work's contract, as a use case and a client meet it.

A use case reaches the database only through ``casemgr.service.unit_of_work``:
the credentials are judged whether or not the use case asks for its actor,
nothing is committed for a dead credential, only ``commit()`` keeps writes,
and no driver error reaches a view: a write the database refuses is the
API's own conflict body (409-9001) when two writes collided, its own 500
body when the service sent something the database would not take, and
nothing of it is saved.
"""

from __future__ import annotations

import pytest

from casemgr.domain.errors import AuthenticationRequired
from casemgr.service.credentials import CredentialKind, Credentials, hash_secret
from casemgr.service.unit_of_work import UnitsOfWork
from tests.api.clients import EgainV3Client, EgainV12Client, EgainV12XmlClient
from tests.api.thalamus_v4_client import ThalamusV4Client

EXPIRE_SESSIONS = "UPDATE auth_session SET last_used_at = last_used_at - interval '31 minutes'"


def units_of(app) -> UnitsOfWork:
    return UnitsOfWork(app.extensions["casemgr.database"].unit_of_work, app.extensions["casemgr"].auth)


def session_credentials(session_id: str) -> Credentials:
    return Credentials(api="egain-v12", kind=CredentialKind.SESSION, secret=session_id)


def test_a_use_case_that_never_asks_for_its_actor_still_refuses_an_expired_session(app, v12, db):
    session = v12.session("frank")
    db.execute(EXPIRE_SESSIONS)
    with pytest.raises(AuthenticationRequired):
        with units_of(app)(session_credentials(session), transaction=False) as uow:
            assert uow.cases.custom_attributes()  # the read ran; its answer must not leave the block


def test_the_custom_attribute_definitions_never_ask_for_the_actor_and_still_answer_401(v12, db):
    session = v12.session("frank")
    url = "/ws/v12/interaction/case/attributes?$attribute=custom"
    headers = {"X-egain-session": session, "Accept": "application/json"}
    assert v12.client.get(url, headers=headers).status_code == 200
    db.execute(EXPIRE_SESSIONS)
    response = v12.client.get(url, headers=headers)
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["code"] == "401-101"


def test_commit_judges_the_credentials_before_it_commits_anything(app, v12, db):
    session = v12.session("frank")
    db.execute(EXPIRE_SESSIONS)
    planted = hash_secret("planted")
    with pytest.raises(AuthenticationRequired):
        with units_of(app)(session_credentials(session)) as uow:
            uow.auth.create_session(planted, "egain-v12", 1002, None)
            uow.commit()
    assert db.execute("SELECT count(*) FROM auth_session WHERE token_hash = %s", [planted]).fetchone()[0] == 0


def test_a_block_left_without_commit_keeps_no_write(app, v12, db):
    planted = hash_secret("planted")
    with units_of(app)(session_credentials(v12.session("frank"))) as uow:
        assert uow.actor.user.login == "frank"
        uow.auth.create_session(planted, "egain-v12", 1002, None)
    assert db.execute("SELECT count(*) FROM auth_session WHERE token_hash = %s", [planted]).fetchone()[0] == 0


# -- a write the database refuses, through every API ---------------------------------

def refuse_updates_of_case_1013(db, sqlstate: str) -> None:
    """A trigger that refuses every update of case 1013 with ``sqlstate``, as
    the constraint it stands for would."""
    db.execute(f"""
        CREATE FUNCTION test_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '{sqlstate}'; END $$""")
    db.execute("""
        CREATE TRIGGER test_refuse_update BEFORE UPDATE ON support_case
        FOR EACH ROW WHEN (OLD.id = 1013) EXECUTE FUNCTION test_refuse_update()""")


def edit_through(api: str, client):
    """An edit of case 1013 through ``api``; answers (status, the code its body names)."""
    if api == "v4":
        thalamus = ThalamusV4Client(client)
        response = thalamus.update(1013, {"categoryCode": "Case6534", "typeCode": "Casetype6534",
                                          "status": "In Progress"})
        errors = response.get_json()["errors"]
        return response, next(f"{key}: {code}" for key, code in errors.items() if not key.startswith("execution."))
    egain = {"v12": EgainV12Client, "v3": EgainV3Client, "v12-xml": EgainV12XmlClient}[api](client)
    response = egain.edit(1013, {"subject": "refused"})
    if api == "v12-xml":
        text = response.get_data(as_text=True)
        assert response.mimetype == "application/xml", text
        return response, text.split("<code>", 1)[1].split("</code>", 1)[0]
    return response, response.get_json()["code"]


CASES = [
    ("23505", 409, {"v12": "409-9001", "v3": "409-9001", "v12-xml": "409-9001", "v4": "case: ConcurrentChange"}),
    ("23514", 500, {"v12": "500-100", "v3": "500-100", "v12-xml": "500-100", "v4": "system: InternalError"}),
]


@pytest.mark.parametrize("api", ["v12", "v3", "v12-xml", "v4"])
@pytest.mark.parametrize("sqlstate, status, codes", CASES, ids=["unique-violation", "check-violation"])
def test_an_integrity_error_inside_a_use_case_is_the_apis_own_answer_and_saves_nothing(
        client, db, api, sqlstate, status, codes):
    before = db.execute("SELECT subject, status_id, last_modified FROM support_case WHERE id = 1013").fetchone()
    refuse_updates_of_case_1013(db, sqlstate)
    response, code = edit_through(api, client)
    assert response.status_code == status, response.get_data(as_text=True)
    assert code == codes[api]
    assert "psycopg" not in response.get_data(as_text=True).lower()
    assert db.execute("SELECT subject, status_id, last_modified FROM support_case WHERE id = 1013").fetchone() \
        == before


def test_without_a_transaction_a_write_never_travels_with_a_check_that_refuses(app, v12, db):
    """A write queued in a unit of work without a transaction, and never
    committed, is not sent with the credential check judged at the end: a
    dead credential keeps nothing."""
    session = v12.session("frank")
    db.execute(EXPIRE_SESSIONS)
    planted = hash_secret("planted")
    with pytest.raises(AuthenticationRequired):
        with units_of(app)(session_credentials(session), transaction=False) as uow:
            uow.auth.create_session(planted, "egain-v12", 1002, None)
    assert db.execute("SELECT count(*) FROM auth_session WHERE token_hash = %s", [planted]).fetchone()[0] == 0


def test_without_a_transaction_committing_a_write_before_the_check_is_answered_is_refused(app, v12, db):
    planted = hash_secret("planted")
    with pytest.raises(RuntimeError):
        with units_of(app)(session_credentials(v12.session("frank")), transaction=False) as uow:
            uow.auth.create_session(planted, "egain-v12", 1002, None)
            uow.commit()
    assert db.execute("SELECT count(*) FROM auth_session WHERE token_hash = %s", [planted]).fetchone()[0] == 0
