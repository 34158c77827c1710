"""XML on the eGain APIs: eGain's documented example, round trips, hostile documents."""

from __future__ import annotations

import time

import pytest

from casemgr.api.egain.docs import edit_xml_example
from casemgr.api.egain.xml import parse_xml
from casemgr.api.egain_v12.schemas import V12CaseEdit

# eGain's documented Example 1 as the OpenAPI spec publishes it (v12 hrefs): testing
# the published example proves the spec's XML and JSON examples are twins.
SEED_EXAMPLE_XML = edit_xml_example("/system/ws/v12/interaction/case/").encode()

SEED_EXAMPLE_JSON = {
    "id": "1013",
    "lastModified": {"date": "2015-07-02T10:45:01Z"},
    "dueDate": "2030-11-30T18:30:00.000Z",
    "owner": {"user": {"id": "1002"}},
    "severity": {"value": "urgent"},
    "subject": "Issue with phone: ",
    "relatedCases": {
        "link": [{"rel": "case", "href": "/system/ws/v12/interaction/case/1002"}],
        "unlink": [{"rel": "case", "href": "/system/ws/v12/interaction/case/1001"}],
    },
    "customAttributes": {"customAttribute": [
        {"attribName": "customer_rating", "attribValues": {"attribValue": [{"value": "5"}]}}]},
}


def test_the_seed_xml_example_parses_into_the_same_command_as_its_json_twin():
    from casemgr.api.egain import commands
    from casemgr.api.egain_v12.views import HREF

    def command(body):
        loaded = V12CaseEdit().load(body)
        return commands.edit_command(loaded, api="x", href_pattern=HREF, last_modified=None, if_match='"e"')

    assert command(parse_xml(SEED_EXAMPLE_XML)) == command(SEED_EXAMPLE_JSON)


def test_a_case_read_as_xml_edited_with_xml_reads_back_the_same_as_json(v12):
    xml_headers = {"Accept": "application/xml"}
    read = v12.read(1013, **xml_headers)
    assert read.status_code == 200
    assert read.mimetype == "application/xml"
    assert b'<case id="1013">' in read.get_data()
    case = parse_xml(read.get_data())["case"][0]
    body = (f'<case xmlns="http://bindings.egain.com/ws/model/v12/gen/interaction/case" id="1013">'
            f'<lastModified date="{case["lastModified"]["date"]}"/>'
            f'<subject>Edited through XML &amp; back</subject><dueDate></dueDate></case>').encode()
    edit = v12.edit_raw(body, content_type="application/xml", **xml_headers)
    assert edit.status_code == 204, edit.get_data(as_text=True)
    again = v12.read_case(1013)
    assert again["subject"] == "Edited through XML & back"
    assert "dueDate" not in again
    assert edit.headers["ETag"] == v12.read(1013).headers["ETag"]


def test_an_xml_error_has_the_egain_error_element(v12):
    body = b'<case id="1013"><lastModified date="2015-01-01T00:00:00Z"/><subject>x</subject></case>'
    response = v12.edit_raw(body, content_type="application/xml", Accept="application/xml")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert '<error xmlns="http://bindings.egain.com/ws/model/v12/gen/common">' in text
    assert "<code>409-100</code>" in text


def test_xml_login_works(v12):
    response = v12.client.post("/ws/v12/authentication/user/login", content_type="application/xml",
                               data=b"<user><userName>frank</userName><password>frank-pass</password></user>")
    assert response.status_code == 204
    assert response.headers["X-egain-session"]


HOSTILE = {
    "billion-laughs": b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
        <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
        <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
        <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
        <case id="1013"><subject>&lol9;</subject></case>""",
    "external-file": b"""<?xml version="1.0"?><!DOCTYPE case [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
        <case id="1013"><subject>&xxe;</subject></case>""",
    "external-http": b"""<?xml version="1.0"?><!DOCTYPE case [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>
        <case id="1013"><subject>&xxe;</subject></case>""",
    "external-dtd": b"""<?xml version="1.0"?><!DOCTYPE case SYSTEM "http://127.0.0.1:9/case.dtd">
        <case id="1013"><subject>x</subject></case>""",
    "deep-nesting": b"<case>" + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</case>",
}


@pytest.mark.parametrize("payload", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_xml_document_is_refused_within_a_second(v12, unchanged, payload):
    v12.session("frank")
    started = time.perf_counter()
    response = v12.edit_raw(payload, content_type="application/xml")
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert response.get_json()["code"] == "400-9002"
    assert elapsed < 1.0
    assert b"root:" not in response.get_data()
    unchanged.check()


# -- languages ---------------------------------------------------------------

def user_message_of(egain, language):
    headers = {"X-egain-error-message": "yes"}
    if language:
        headers["Accept-Language"] = language
    response = egain.edit(1013, {"subject": "x"}, last_modified="2015-01-01T00:00:00.000Z", **headers)
    assert response.status_code == 409
    return response


def test_the_user_message_is_localized_by_accept_language(egain):
    messages = {lang: user_message_of(egain, lang).get_json()["userMessage"] for lang in ("en-US", "de-DE", "ja-JP")}
    assert len(set(messages.values())) == 3, messages
    assert messages["en-US"] == "Someone else changed the case in the meantime. Reload it and try again."


def test_the_user_message_is_absent_without_the_opt_in_header(egain):
    response = egain.edit(1013, {"subject": "x"}, last_modified="2015-01-01T00:00:00.000Z",
                          **{"Accept-Language": "de-DE"})
    assert response.status_code == 409
    assert "userMessage" not in response.get_json()
    assert response.headers["Content-Language"] == "de-DE"


def test_v12_answers_in_the_default_language_without_accept_language(v12):
    response = user_message_of(v12, None)
    assert response.headers["Content-Language"] == "en-US"
    assert response.get_json()["userMessage"].startswith("Someone else changed the case")


@pytest.mark.parametrize("language", ["es-ES", "fr-FR", "it-IT", "de-DE", "nl-NL", "pt-BR", "pt-PT", "da-DK",
                                      "ru-RU", "fr-CA", "zh-CN", "ja-JP", "ko-KR", "sv-SE"])
def test_every_supported_language_has_its_own_user_message(v12, language):
    message = user_message_of(v12, language).get_json()["userMessage"]
    assert message != "Someone else changed the case in the meantime. Reload it and try again."


def test_v3_takes_xml_with_a_plain_last_modified_and_answers_xml(v3):
    last_modified = v3.last_modified(1013)
    body = (f'<case xmlns="http://bindings.egain.com/ws/model/v12/gen/interaction/case" id="1013">'
            f'<lastModified>{last_modified}</lastModified><subject>v3 in XML</subject></case>').encode()
    response = v3.client.patch("/core/casemgr/v3/case", data=body, content_type="application/xml",
                               headers=v3.headers("frank", Accept="application/xml"))
    assert response.status_code == 204, response.get_data(as_text=True)
    read = v3.client.get("/core/casemgr/v3/case/1013", headers=v3.headers("frank", Accept="application/xml"))
    case = parse_xml(read.get_data())["case"][0]
    assert case["subject"] == "v3 in XML"
    assert case["lastModified"] != last_modified
    stale = v3.client.patch("/core/casemgr/v3/case", data=body, content_type="application/xml",
                            headers=v3.headers("frank", Accept="application/xml"))
    assert stale.status_code == 409
    assert "<code>409-100</code>" in stale.get_data(as_text=True)
