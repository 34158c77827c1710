"""The change feed (v3 GET /core/casemgr/v3/changes): every committed change
once, in commit order per case, a late commit included; a token sees what it
may read; a cursor the feed never handed out is refused."""

from __future__ import annotations

import threading
import time

import pytest

from casemgr.api.egain.xml import parse_xml
from casemgr.domain.history import FeedPosition
from casemgr.service.feed import encode_cursor
from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.thalamus_v4_client import ThalamusV4Client
from tests.late_commit import connect, open_edit

FEED = "/core/casemgr/v3/changes"
SERVICE_CASES = {1001, 1002, 1003, 1007, 1008, 1013}  # frank's department
# What frank reads: Service's cases, and Sales' 1004 (Sales shares with
# Service with activity sharing); not Billing's 1005 (shared without it).
FRANK_SEES = SERVICE_CASES | {1004}


class Follower:
    """Starts from nothing and always passes back the next it was given."""

    def __init__(self, client, user: str = "client", limit: int = 3):
        self.v3 = EgainV3Client(client)
        self.client, self.user, self.limit = client, user, limit
        self.after: str | None = None
        self.seen: list[dict] = []

    def poll(self) -> list[dict]:
        query = f"?limit={self.limit}" + (f"&after={self.after}" if self.after else "")
        response = self.client.get(FEED + query, headers=self.v3.headers(self.user))
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        self.after = body["next"]
        self.seen.extend(body["changes"])
        return body["changes"]

    def catch_up(self, expected: int | None = None) -> list[dict]:
        """Polls until a page is not full; with ``expected``, also until that
        many changes were seen in all. The feed waits for every transaction
        of the database that began before a change, so a change may take a
        moment to come through."""
        new = []
        deadline = time.monotonic() + 60
        while True:
            page = self.poll()
            new.extend(page)
            if len(page) < self.limit and (expected is None or len(self.seen) >= expected):
                return new
            assert time.monotonic() < deadline, f"{len(self.seen)} changes seen, {expected} expected"
            if len(page) < self.limit:
                time.sleep(0.05)


def history_rows(db, where: str = "TRUE") -> list[tuple]:
    return db.execute(f"SELECT id, case_id, last_modified FROM case_history WHERE {where} ORDER BY id").fetchall()


def test_a_follower_sees_every_change_once_and_each_cases_changes_in_order(client, db):
    follower = Follower(client)
    follower.catch_up(expected=9)  # the test world's load
    v12, v4 = EgainV12Client(client), ThalamusV4Client(client)
    for number in range(3):
        assert v12.edit(1013, {"subject": f"edit {number}", **v12.link(1002 + number)}).status_code == 204
    assert v4.update(1008, {"categoryCode": "Reclamo", "typeCode": "Telefonico", "status": "Open"}).status_code == 201
    rows = history_rows(db)
    follower.catch_up(expected=len(rows))
    assert follower.poll() == []  # caught up: nothing twice
    assert sorted(int(c["caseId"]) for c in follower.seen) == sorted(case_id for _, case_id, _ in rows)
    assert len({c["cursor"] for c in follower.seen}) == len(rows)
    for case_id in {case_id for _, case_id, _ in rows}:
        versions = [c["lastModified"] for c in follower.seen if c["caseId"] == str(case_id)]
        assert versions == sorted(versions) and len(set(versions)) == len(versions)
    last = [c for c in follower.seen if c["caseId"] == "1013"][-1]
    assert (last["api"], last["fields"], last["user"]) == ("v12", ["subject", "relatedCases"],
                                                            {"id": "1001", "name": "frank", "type": "user"})
    assert last["lastModified"] == v12.last_modified(1013)


def test_a_change_that_commits_late_is_not_passed_over(client, db, db_url):
    """The held edit takes its entry id (and xid) before the v12 edit, and
    commits after it: a follower polling in between must not pass it."""
    follower = Follower(client)
    follower.catch_up(expected=9)
    v12 = EgainV12Client(client)
    v12.session("frank")  # a login locks the user, whom the held edit names
    held, held_entry = open_edit(db_url, 1003, "held back")
    try:
        assert v12.edit(1001, {"subject": "committed first"}).status_code == 204
        later_entry = history_rows(db, "case_id = 1001")[-1][0]
        assert later_entry > held_entry  # committed, with a later id: an id cursor would pass the held one
        assert follower.catch_up() == []  # the feed waits for the open transaction
    finally:
        held.commit()
        held.close()
    new = follower.catch_up(expected=len(follower.seen) + 2)
    assert [(c["caseId"], c["fields"]) for c in new] == [("1003", ["subject"]), ("1001", ["subject"])]
    assert follower.poll() == []


def test_a_write_held_open_in_another_database_of_the_server_holds_nothing_back(client, server_url):
    """Transaction ids are shared by every database of a Postgres server:
    a transaction of another database, however long it stays open, can
    write no change of this one, so the feed does not wait for it (as it
    waits for one of its own database, above)."""
    follower = Follower(client)
    follower.catch_up(expected=9)
    elsewhere = connect(server_url)
    try:
        elsewhere.execute("SELECT pg_current_xact_id()")  # holds an xid, older than the edit's
        assert EgainV12Client(client).edit(1001, {"subject": "beside a long transaction"}).status_code == 204
        new = follower.catch_up(expected=10)  # fails after 60 s if the feed waits for it
    finally:
        elsewhere.rollback()
        elsewhere.close()
    assert [(c["caseId"], c["fields"]) for c in new] == [("1001", ["subject"])]


def test_a_case_changed_by_a_transaction_with_a_smaller_xid_comes_out_in_commit_order(client, db, db_url):
    """The second edit's transaction takes its xid first, then waits for the
    case, which the first edit holds: it commits second, with the smaller
    xid. The feed gives the case's changes in the order they were committed."""
    follower = Follower(client)
    follower.catch_up(expected=9)
    second = connect(db_url)
    second.execute("SELECT pg_current_xact_id()")  # its xid, before the first edit's
    first, first_entry = open_edit(db_url, 1013, "first")
    waiting = threading.Thread(target=open_edit, args=(db_url, 1013, "second"), kwargs={"conn": second})
    waiting.start()
    first.commit()
    waiting.join()
    second.commit()
    for conn in (first, second):
        conn.close()
    (first_xid, second_xid), = db.execute(
        "SELECT min(xid::text::bigint) FILTER (WHERE id = %s), min(xid::text::bigint) FILTER (WHERE id > %s)"
        " FROM case_history WHERE case_id = 1013", (first_entry, first_entry)).fetchall()
    assert second_xid < first_xid
    new = follower.catch_up(expected=11)
    assert [c["caseId"] for c in new] == ["1013", "1013"]
    assert new[0]["lastModified"] < new[1]["lastModified"]
    assert db.execute("SELECT subject FROM support_case WHERE id = 1013").fetchone()[0] == "second"


def test_a_user_token_follows_the_cases_the_user_reads_and_a_client_token_every_case(client, db):
    frank, crm = Follower(client, "frank", limit=1000), Follower(client, "client", limit=1000)
    assert {int(c["caseId"]) for c in frank.catch_up(expected=len(FRANK_SEES))} == FRANK_SEES
    rows = history_rows(db)
    assert {int(c["caseId"]) for c in crm.catch_up(expected=len(rows))} == {case_id for _, case_id, _ in rows}
    carol = Follower(client, "carol", limit=2)
    assert {c["caseId"] for c in carol.catch_up(expected=1)} == {"1006"}  # Legal


def test_a_change_can_be_resumed_after_by_its_own_cursor(client):
    follower = Follower(client, limit=100)
    changes = follower.catch_up(expected=9)
    resumed = client.get(f"{FEED}?after={changes[3]['cursor']}", headers=follower.v3.headers("client")).get_json()
    assert resumed["changes"] == changes[4:]


def test_after_left_out_starts_from_the_beginning_and_limit_defaults_to_100(client, db):
    v3 = EgainV3Client(client)
    for number in range(100):
        assert v3.edit(1002, {"subject": f"edit {number}"}, user="client").status_code == 204
    deadline = time.monotonic() + 60
    while len(body := client.get(FEED, headers=v3.headers("client")).get_json()["changes"]) < 100:
        assert time.monotonic() < deadline  # the feed waits for transactions still running on the server
        time.sleep(0.05)
    assert len(body) == 100
    assert body[0]["api"] == "load"


@pytest.mark.parametrize("query, code", [
    ("?after=garbage", "400-9028"),
    (f"?after={encode_cursor(FeedPosition(2**62, 0))}", "400-9028"),  # beyond every transaction there is
    ("?limit=0", "400-152"),
    ("?limit=1001", "400-152"),
    ("?limit=ten", "400-152"),
    ("?since=now", "400-101"),
])
def test_a_cursor_the_feed_never_handed_out_or_a_limit_out_of_bounds_is_400(client, query, code):
    v3 = EgainV3Client(client)
    response = client.get(FEED + query, headers=v3.headers("client"))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["code"] == code


def test_the_feed_needs_a_live_token(client):
    response = client.get(f"{FEED}?after=garbage", headers={"Accept-Language": "en-US",
                                                          "Authorization": "Bearer nonsense"})
    assert response.status_code == 401


def test_the_feed_speaks_xml_too(client):
    v3 = EgainV3Client(client)
    as_json = client.get(f"{FEED}?limit=2", headers=v3.headers("client")).get_json()
    response = client.get(f"{FEED}?limit=2", headers=v3.headers("client", Accept="application/xml"))
    assert response.mimetype == "application/xml"
    as_xml = parse_xml(response.get_data())
    assert as_xml["next"] == as_json["next"]
    assert [(c["cursor"], c["caseId"], c["fields"]) for c in as_xml["changes"]] == [
        (c["cursor"], c["caseId"], c["fields"]) for c in as_json["changes"]]


def test_a_user_follows_exactly_the_changes_of_the_cases_it_sees_in_feed_order(client, db):
    """Changes of every department, interleaved: a user's feed, read a page
    of two at a time, is the whole feed with the changes of cases the user
    does not see left out, in the same order; a case moved into the user's
    department brings its changes with it (the feed reads where a case is
    now: migration 0009 keeps each entry's copy of it)."""
    v3 = EgainV3Client(client)
    for number in range(3):
        for case_id in (1005, 1002, 1006, 1004):  # Billing, Service, Legal, Sales
            version = v3.read_case(case_id, user="client")["lastModified"]
            assert v3.edit(case_id, {"subject": f"round {number}"}, user="client",
                           last_modified=version).status_code == 204
    whole = Follower(client, limit=1000).catch_up(expected=len(history_rows(db)))
    everything = [c["cursor"] for c in whole]
    by_cursor = {c["cursor"]: int(c["caseId"]) for c in whole}

    def follows(user: str) -> list[str]:
        return [c["cursor"] for c in Follower(client, user, limit=2).catch_up()]

    assert follows("frank") == [cursor for cursor in everything if by_cursor[cursor] in FRANK_SEES]
    assert follows("carol") == [cursor for cursor in everything if by_cursor[cursor] == 1006]
    db.execute("UPDATE support_case SET department_id = (SELECT id FROM department WHERE name = 'Service') "
               "WHERE id = 1006")
    assert follows("frank") == [cursor for cursor in everything if by_cursor[cursor] in FRANK_SEES | {1006}]
    assert follows("carol") == []
