"""A client nobody here wrote: openapi-python-client generates a Python
client from the committed openapi.yaml (into a temporary directory, never
kept), and the test uses it the way an integrator would, against the app on
a real port with the demo data. Function names come from the operationIds."""

from __future__ import annotations

import base64
import importlib
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SPEC = Path(__file__).parents[2] / "openapi.yaml"
PACKAGE = "casemgr_client"
FRANK = ("frank", "frank-pass")
TOUCHPOINT = {"Thalamus-Touchpoint": "web", "Thalamus-Token": "web-token"}
# The one thing the generator may not handle: the eGain bodies' XML form.
ACCEPTED_WARNING = "Unsupported content type application/xml"
# What the generator prints around its warnings.
FRAME = re.compile(r"Generating .*|Warning\(s\) encountered while generating\. Client was generated, but some "
                   r"pieces may be missing|If you believe this was a mistake.*")


def generate(target: Path) -> str:
    """Runs the generator as an integrator would; returns what it printed."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff post-hook
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(SPEC),
         "--output-path", str(target), "--meta", "none"],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def messages(output: str) -> list[str]:
    """The generator's own lines: the request bodies it dumps after a
    warning (indented JSON) are left out."""
    return [line.strip() for line in output.splitlines()
            if line.strip() and not line.startswith((" ", "{", "}"))]


def check_only_xml_warnings(output: str) -> None:
    lines = messages(output)
    warnings = [i for i, line in enumerate(lines) if line.startswith(("WARNING", "ERROR"))]
    for i in warnings:
        assert lines[i].startswith("WARNING parsing "), lines[i]
        assert lines[i + 1] == ACCEPTED_WARNING, f"{lines[i]}: {lines[i + 1]}"
    explained = {i for w in warnings for i in (w, w + 1)}
    others = [line for i, line in enumerate(lines)
              if i not in explained and not FRAME.fullmatch(line)]
    assert others == [], f"the generator said more than {ACCEPTED_WARNING!r}:\n{output}"


@pytest.fixture
def client_package(tmp_path, monkeypatch):
    output = generate(tmp_path / PACKAGE)
    print(f"openapi-python-client: {len([m for m in messages(output) if m.startswith('WARNING')])} warnings, "
          f"each {ACCEPTED_WARNING!r}")
    check_only_xml_warnings(output)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def api(name: str):
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def models():
    return importlib.import_module(f"{PACKAGE}.models")


def test_a_generated_client_logs_in_reads_edits_and_meets_each_apis_conflict(client_package, demo_base_url):
    v12_login, get_cases_by_ids, edit_case = (
        importlib.import_module(f"{PACKAGE}.api.egain_v12.{name}") for name in ("login", "get_cases_by_ids", "edit_case"))
    m = models()

    # eGain v12: log in (the session comes back in a header), read, edit.
    with client_package.Client(base_url=demo_base_url) as anonymous:
        answer = v12_login.sync_detailed(client=anonymous, body=m.V12Login(user_name=FRANK[0], password=FRANK[1]))
    assert answer.status_code == 204
    session = answer.headers["X-egain-session"]
    agent = client_package.AuthenticatedClient(
        base_url=demo_base_url, token=session, prefix="", auth_header_name="X-egain-session")

    case = get_cases_by_ids.sync(client=agent, case_ids="1013").case[0]
    assert (case.id, case.subject) == ("1013", "Issue with phone: ")
    read = case.last_modified.date  # a datetime, passed back as it is

    def edit(last_modified: datetime, subject: str):
        body = m.V12CaseEdit(id="1013", last_modified=m.V12LastModified(date=last_modified), subject=subject)
        return edit_case.sync_detailed(client=agent, body=body)

    edited = edit(read, "Edited by a generated client")
    assert edited.status_code == 204
    assert re.fullmatch(r'"1013-\d+"', edited.headers["ETag"])

    # The same lastModified again is stale: 409, the current one in details.
    stale = edit(read, "Stale")
    assert stale.status_code == 409
    assert stale.parsed.code == "409-100"
    current = get_cases_by_ids.sync(client=agent, case_ids="1013").case[0]
    assert current.subject == "Edited by a generated client"
    details = {detail.key: detail.value for detail in stale.parsed.details}
    latest = datetime.fromisoformat(details["lastModified"])
    assert latest == current.last_modified.date != read
    assert (details["changedFields"], details["changes"]) == ("subject", "1")  # what changed since its version
    assert edit(latest, "Resolved").status_code == 204

    # The case's history, newest first: the two edits, then the demo load.
    history = api("egain_v12.get_case_history").sync(client=agent, case_id="1013", pagesize=2)
    assert [entry.api for entry in history.history] == ["v12", "v12"]
    assert [(c.field, c.new_value) for c in history.history[0].changes] == [("subject", "Resolved")]
    assert history.history[0].user.name == "frank"
    assert history.pagination_info.count == 3

    # The customer's cases, found by the phone number they call from, each
    # with its description besides the summary; every attribute of one case.
    search_case = api("egain_v12.search_case")
    found = search_case.sync(client=agent, phone="+15550100", attribute="description", pagesize=75)
    by_id = {found_case.id: found_case for found_case in found.case}
    assert by_id["1013"].subject == "Resolved" and by_id["1013"].description == "Phone does not charge"
    assert found.pagination_info.count == len(found.case) >= 3
    whole = get_cases_by_ids.sync(client=agent, case_ids="1013", attribute="all").case[0]
    assert [a.attrib_name for a in whole.custom_attributes.custom_attribute] == ["customer_rating", "region"]
    assert not case.owner and whole.owner.user.name == "frank"  # the summary read showed no owner

    # eGain v3: a user token from the token endpoint, then PATCH.
    issue_token = api("oauth2.issue_token")
    get_v3, edit_v3 = api("egain_v3.get_cases_by_ids_v3"), api("egain_v3.edit_case_v3")
    with client_package.Client(base_url=demo_base_url) as anonymous:
        token = issue_token.sync(client=anonymous, body=m.V3TokenRequest(
            grant_type=m.V3TokenRequestGrantType.PASSWORD, username=FRANK[0], password=FRANK[1],
            client_id="crm", client_secret="crm-secret"))
    user = client_package.AuthenticatedClient(base_url=demo_base_url, token=token.access_token)
    language = "en-US,en;q=0.9"  # a browser's header: negotiated, not matched
    v3_case = get_v3.sync(client=user, case_ids="1013", accept_language=language).case[0]
    assert v3_case.subject == "Resolved"  # one case, whatever the API

    def patch(last_modified: datetime):
        body = m.V3CaseEdit(id="1013", last_modified=last_modified,
                            severity=m.EgainSeverity(value=m.EgainSeverityValue.URGENT))
        return edit_v3.sync_detailed(client=user, body=body, accept_language=language)

    assert patch(v3_case.last_modified).status_code == 204
    stale = patch(v3_case.last_modified)
    assert (stale.status_code, stale.parsed.code) == (409, "409-100")

    # Thalamus v4: sign in (the client keeps the session cookie), then PUT with If-Match.
    signin, get_case, update_case = api("thalamus_v4.signin"), api("thalamus_v4.get_case"), api("thalamus_v4.update_case")
    with client_package.Client(base_url=demo_base_url, headers=TOUCHPOINT) as thalamus:
        signed_in = signin.sync_detailed(client=thalamus, body=m.ThalamusSignin(principal=FRANK[0], password=FRANK[1]))
        assert signed_in.status_code == 200
        assert signed_in.parsed.context.simple_profile.firstname == "Frank"
        read = get_case.sync_detailed(1013, client=thalamus)
        # The single read answers the case object itself, as Thalamus documents it.
        assert isinstance(read.parsed, m.ThalamusCase)
        assert (read.parsed.id, read.parsed.category_code) == (1013, "Case6534")
        etag = read.headers["ETag"]
        body = m.ThalamusCaseBody.from_dict(
            {"categoryCode": "Case6534", "typeCode": "Casetype6534", "status": "In Progress"})
        updated = update_case.sync_detailed(1013, client=thalamus, body=body, if_match=etag)
        assert updated.status_code == 201
        assert updated.parsed.case.status == "In Progress"
        assert updated.headers["ETag"] != etag
        stale = update_case.sync_detailed(1013, client=thalamus, body=body, if_match=etag)
        assert stale.status_code == 412
        assert stale.parsed.errors["etag"] == "PreconditionFailed"

    # HTTP Basic instead of the cookie: the security scheme the spec declares.
    basic = base64.b64encode(":".join(FRANK).encode()).decode()
    with client_package.AuthenticatedClient(base_url=demo_base_url, token=basic, prefix="Basic",
                                            headers=TOUCHPOINT) as operator:
        assert get_case.sync(1013, client=operator).status == "In Progress"
