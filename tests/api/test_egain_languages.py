"""Accept-Language on the eGain APIs: what real clients send reads and edits,
the negotiated locale is what Content-Language says and what userMessage is
written in, and only a header naming no supported language is 406."""

from __future__ import annotations

import pytest

CHROMIUM = "en-US,en;q=0.9"


def test_chromiums_default_header_reads_and_edits(egain):
    read = egain.read(1013, **{"Accept-Language": CHROMIUM})
    assert read.status_code == 200, read.get_data(as_text=True)
    assert read.headers["Content-Language"] == "en-US"
    edit = egain.edit(1013, {"subject": "edited from a browser"}, **{"Accept-Language": CHROMIUM})
    assert edit.status_code == 204, edit.get_data(as_text=True)
    assert edit.headers["Content-Language"] == "en-US"
    assert egain.read_case(1013)["subject"] == "edited from a browser"


@pytest.mark.parametrize("header, locale", [
    ("en-us", "en-US"),
    ("en", "en-US"),
    ("en-GB,en;q=0.8", "en-US"),
    ("de", "de-DE"),
    ("de-CH, de;q=0.9", "de-DE"),
    ("pt", "pt-BR"),
    ("fr-ca", "fr-CA"),
    ("tlh, ja;q=0.5", "ja-JP"),
    ("*", "en-US"),
])
def test_content_language_is_the_negotiated_locale(egain, header, locale):
    response = egain.read(1013, **{"Accept-Language": header})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Language"] == locale


def test_the_user_message_is_in_the_negotiated_locale(egain):
    response = egain.edit(1013, {"subject": "x"}, last_modified="2015-01-01T00:00:00.000Z",
                          **{"Accept-Language": "de-AT, de;q=0.9", "X-egain-error-message": "yes"})
    assert response.status_code == 409
    assert response.headers["Content-Language"] == "de-DE"
    assert response.get_json()["userMessage"] == (
        "Jemand anderes hat den Fall inzwischen geändert. Bitte laden Sie ihn neu und versuchen Sie es erneut.")


@pytest.mark.parametrize("header", ["tlh", "x-klingon", "en;q=0", "*;q=0", "", "de;q=2"])
def test_a_header_that_finds_none_of_the_15_is_406_100(egain, unchanged, header):
    response = egain.edit(1013, {"subject": "x"}, **{"Accept-Language": header})
    assert response.status_code == 406
    body = response.get_json()
    assert body["code"] == "406-100"
    assert "en-US" in body["developerMessage"]
    assert response.headers["Content-Language"] == "en-US"
    unchanged.check()


def test_v12_without_accept_language_answers_in_the_configured_default(db_url):
    from casemgr import create_app
    from casemgr.config import Settings
    from tests.api.clients import EgainV12Client

    app = create_app(Settings(database_url=db_url, pool_size=4, default_language="sv-SE"))
    try:
        v12 = EgainV12Client(app.test_client())
        assert v12.read(1013).headers["Content-Language"] == "sv-SE"
        assert v12.read(1013, **{"Accept-Language": "*"}).headers["Content-Language"] == "sv-SE"
    finally:
        app.extensions["casemgr.database"].close()
