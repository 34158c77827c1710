"""Broken object-level authorization, tried exhaustively: every user of the
matrix against a case in each kind of department, for read, edit and link,
through all three APIs. The expectations are written out by hand, not
computed by the rules under test."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.thalamus_v4_client import ThalamusV4Client
from tests.reliability.figures import record_figure

# One unowned open case per department (owners would add the Pull rule to the
# picture), and a second one per department to be linked.
CASE_IN = {"Service": 9101, "Sales": 9102, "Billing": 9103, "Legal": 9104}
LINK_TARGET_IN = {"Service": 9111, "Sales": 9112, "Billing": 9113, "Legal": 9114}

# How each user stands to each department (world.yaml: Sales shares with
# Service with activity sharing, Billing shares with Service without it).
RELATION = {
    "frank": {"Service": "home", "Sales": "shared+activity", "Billing": "shared-no-activity", "Legal": "none"},
    "bob": {"Service": "foreign", "Sales": "home", "Billing": "none", "Legal": "none"},
    "carol": {"Service": "none", "Sales": "none", "Billing": "none", "Legal": "home"},
}
HOME = {"frank": "Service", "bob": "Sales", "carol": "Legal"}

# eGain: a user sees (reads, finds) the cases of home and foreign
# departments and of departments sharing with home with activity sharing,
# and edits those of home and foreign departments only.
MAY_READ = {"home", "foreign", "shared+activity"}
MAY_EDIT = {"home", "foreign"}
MAY_LINK = {"home", "foreign", "shared+activity"}

EGAIN_EXPECTED = {  # operation → (allowed, refused) status and code
    "read": ((200, None), (404, "404-9001")),
    "edit": ((204, None), (403, "403-105")),
    "link": ((204, None), (403, "403-9005")),
}
OUTCOMES: Counter = Counter()


@pytest.fixture
def matrix_cases(db):
    rows = [(case_id, department) for department, case_id in CASE_IN.items()]
    rows += [(case_id, department) for department, case_id in LINK_TARGET_IN.items()]
    db.cursor().executemany(
        """INSERT INTO support_case (id, department_id, status_id, subject)
           VALUES (%s, (SELECT id FROM department WHERE name = %s),
                   (SELECT id FROM case_status WHERE name = 'Open'), 'matrix case')""",
        rows,
    )


CELLS = [(user, department) for user in RELATION for department in CASE_IN]


@pytest.mark.parametrize("api", ["v12", "v3"])
@pytest.mark.parametrize("user, department", CELLS, ids=[f"{u}-{d}" for u, d in CELLS])
def test_egain_reach_of_each_user_to_each_department(client, matrix_cases, api, user, department):
    egain = {"v12": EgainV12Client, "v3": EgainV3Client}[api](client)
    relation = RELATION[user][department]
    case_id = CASE_IN[department]

    read = egain.read(case_id, user=user)
    check(api, "read", relation in MAY_READ, read, EGAIN_EXPECTED["read"])

    # lastModified read by a client token: the edit must be refused for its
    # reach, never for a missing or stale version
    def last_modified(of):
        return EgainV3Client(client).read_case(of, user="client")["lastModified"]

    edit = egain.edit(case_id, {"subject": f"{user} was here"}, user=user, last_modified=last_modified(case_id))
    check(api, "edit", relation in MAY_EDIT, edit, EGAIN_EXPECTED["edit"])

    base = CASE_IN[HOME[user]]
    target = LINK_TARGET_IN[department]
    link = egain.edit(base, egain.link(target), user=user, last_modified=last_modified(base))
    check(api, "link", relation in MAY_LINK, link, EGAIN_EXPECTED["link"])


@pytest.mark.parametrize("user, department", CELLS, ids=[f"{u}-{d}" for u, d in CELLS])
def test_thalamus_reach_of_each_operator_to_each_department(client, matrix_cases, user, department):
    v4 = ThalamusV4Client(client)
    relation = RELATION[user][department]
    case_id = CASE_IN[department]
    refused = (400, "invalidId")

    read = v4.read(case_id, principal=user)
    check("v4", "read", relation in MAY_READ, read, ((200, None), refused))
    update = v4.update(case_id, {"categoryCode": "Reclamo", "typeCode": "Telefonico"}, principal=user)
    check("v4", "edit", relation in MAY_EDIT, update, ((201, None), refused))


def test_a_party_reaches_only_its_own_cases(client):
    v4 = ThalamusV4Client(client)
    for principal, case_id, allowed in [("john@example.com", 1013, True), ("john@example.com", 1008, False),
                                        ("mary@example.com", 1008, True), ("mary@example.com", 1013, False),
                                        ("mary@example.com", 1002, False)]:
        check("v4-party", "read", allowed, v4.read(case_id, principal=principal), ((200, None), (400, "invalidId")))


def check(api, operation, allowed, response, expected):
    (ok_status, _), (refused_status, refused_code) = expected
    if allowed:
        assert response.status_code == ok_status, response.get_data(as_text=True)
    else:
        assert response.status_code == refused_status, response.get_data(as_text=True)
        body = response.get_json()
        code = body.get("code") or body.get("errors", {}).get("case")
        assert code == refused_code, body
    OUTCOMES[(api, operation, "allowed" if allowed else "refused")] += 1


def test_zz_report_the_matrix():
    if not OUTCOMES:
        pytest.skip("the matrix did not run in this session")
    total = sum(OUTCOMES.values())
    refused = sum(n for (_, _, verdict), n in OUTCOMES.items() if verdict == "refused")
    record_figure("authorization matrix", f"{total} checks (users × department relations × read/edit/link × "
                                          f"v12/v3/v4): {total - refused} allowed, {refused} refused, all as expected")


def test_an_edit_racing_a_department_transfer_never_commits_after_it(v12, db_url, matrix_cases):
    """A transfer holds the case row; the edit waits, then sees the new
    department and is refused — it is never applied to the transferred case."""
    case_id = CASE_IN["Service"]
    last_modified = v12.last_modified(case_id)
    v12.session("frank")
    with psycopg.connect(db_url) as transfer, ThreadPoolExecutor(max_workers=1) as pool:
        transfer.execute("UPDATE support_case SET department_id = (SELECT id FROM department WHERE name = 'Legal') "
                         "WHERE id = %s", (case_id,))
        pending = pool.submit(v12.edit, case_id, {"subject": "after the transfer?"}, last_modified=last_modified)
        time.sleep(0.4)
        assert not pending.done(), "the edit did not wait for the transfer's row lock"
        transfer.commit()
        response = pending.result(timeout=10)
    assert response.status_code == 403
    assert response.get_json()["code"] == "403-105"
    with psycopg.connect(db_url) as conn:
        subject = conn.execute("SELECT subject FROM support_case WHERE id = %s", (case_id,)).fetchone()[0]
    assert subject == "matrix case"
    record_figure("authorization matrix", "edit racing a department transfer: waited for the lock, then 403-105, "
                                          "case unchanged")
