"""How answers travel: gzip when the client asks for it, and CORS for the
browser pages of configured origins."""

from __future__ import annotations

import gzip

import pytest

from casemgr.config import Settings, parse_cors_origins

GZIP = {"Accept-Encoding": "gzip"}
MANY = [1013, 1001, 1002, 1003, 1007, 1008]


# -- gzip ----------------------------------------------------------------------

def test_a_large_answer_is_gzipped_when_the_client_asks(v12):
    plain = v12.read(MANY, attributes="all")
    zipped = v12.read(MANY, attributes="all", **GZIP)
    assert len(plain.data) >= 1024 and "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 2
    assert "Accept-Encoding" in zipped.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]


def test_a_gzipped_case_keeps_its_etag(v12):
    headers = {"Accept": "application/xml"}
    plain = v12.read(1013, attributes="all", **headers)
    zipped = v12.read(1013, attributes="all", **headers, **GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["ETag"] == plain.headers["ETag"]
    # and that ETag still opens an edit
    edited = v12.edit(1013, {"subject": "after a gzipped read"}, last_modified=None,
                      **{"If-Match": zipped.headers["ETag"]}, **GZIP)
    assert edited.status_code == 204


def test_a_small_answer_and_a_204_are_sent_as_they_are(v12):
    small = v12.read(1002, **GZIP)
    assert len(small.data) < 1024
    assert "Content-Encoding" not in small.headers
    edited = v12.edit(1002, {"subject": "x"}, **GZIP)
    assert edited.status_code == 204
    assert "Content-Encoding" not in edited.headers and edited.data == b""


@pytest.mark.parametrize("accept_encoding", ["gzip;q=0", "identity", "br", ""])
def test_no_gzip_unless_the_client_accepts_it(v12, accept_encoding):
    response = v12.read(MANY, attributes="all", **{"Accept-Encoding": accept_encoding})
    assert "Content-Encoding" not in response.headers
    assert response.get_json()["case"][0]["id"] == "1013"


def test_the_explorers_files_are_gzipped_with_their_own_etag(client):
    plain = client.get("/explorer/assets/swagger-ui-bundle.js")
    zipped = client.get("/explorer/assets/swagger-ui-bundle.js", headers=GZIP)
    again = client.get("/explorer/assets/swagger-ui-bundle.js", headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert again.data == zipped.data
    assert zipped.headers["ETag"] == plain.headers["ETag"]
    assert zipped.headers["Cache-Control"] == plain.headers["Cache-Control"]
    unchanged = client.get("/explorer/assets/swagger-ui-bundle.js",
                           headers={**GZIP, "If-None-Match": plain.headers["ETag"]})
    assert unchanged.status_code == 304
    assert "Content-Encoding" not in unchanged.headers


def test_a_range_of_a_file_is_sent_as_it_is_and_never_stands_for_the_whole_file(client):
    path = "/explorer/assets/swagger-ui.css"
    part = client.get(path, headers={**GZIP, "Range": "bytes=0-1999"})
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers and len(part.data) == 2000
    plain = client.get(path)
    whole = client.get(path, headers=GZIP)
    assert whole.status_code == 200
    assert gzip.decompress(whole.data) == plain.data and len(plain.data) > 2000


def test_images_are_not_gzipped(client):
    response = client.get("/favicon.ico", headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


# -- CORS ------------------------------------------------------------------------

PAGE = "http://127.0.0.1:5173"
PREFLIGHT = {"Origin": PAGE, "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "x-egain-session"}


@pytest.fixture
def cors_client(db_url):
    from casemgr import create_app

    app = create_app(Settings(database_url=db_url, pool_size=2, cors_origins=f"{PAGE}, https://crm.example.com"))
    yield app.test_client()
    app.extensions["casemgr.database"].close()


def test_cors_is_off_by_default(client, v12):
    preflight = client.options("/ws/v12/interaction/case/1013", headers=PREFLIGHT)
    assert preflight.status_code == 401  # the credential check, as for any request
    assert "Access-Control-Allow-Origin" not in preflight.headers
    read = v12.read(1013, Origin=PAGE)
    assert read.status_code == 200
    assert "Access-Control-Allow-Origin" not in read.headers


@pytest.mark.parametrize("path, methods", [
    ("/ws/v12/interaction/case/1013", {"GET"}),
    ("/ws/v12/interaction/case", {"GET", "PUT"}),
    ("/ws/v12/authentication/user/login", {"POST"}),
    ("/core/casemgr/v3/case", {"PATCH"}),
    ("/api/v4/cases/1013", {"GET", "PUT"}),
])
def test_a_preflight_of_an_allowed_origin_is_answered_without_credentials(cors_client, path, methods):
    response = cors_client.options(path, headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == PAGE
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert set(response.headers["Access-Control-Allow-Methods"].split(", ")) == methods
    allowed = {h.lower() for h in response.headers["Access-Control-Allow-Headers"].split(", ")}
    assert {"x-egain-session", "if-match", "thalamus-touchpoint", "thalamus-token", "authorization",
            "content-type", "accept-language", "x-egain-error-message"} <= allowed
    assert "Origin" in response.headers["Vary"]
    assert response.data == b""


def test_an_allowed_origins_answers_expose_the_headers_a_client_reads(cors_client):
    login = cors_client.post("/ws/v12/authentication/user/login", json={"userName": "frank", "password": "frank-pass"},
                             headers={"Origin": PAGE})
    assert login.status_code == 204
    assert login.headers["Access-Control-Allow-Origin"] == PAGE
    exposed = set(login.headers["Access-Control-Expose-Headers"].split(", "))
    assert {"X-egain-session", "ETag", "Content-Language", "Retry-After"} <= exposed
    read = cors_client.get("/ws/v12/interaction/case/1013", headers={
        "Origin": PAGE, "X-egain-session": login.headers["X-egain-session"], "Accept": "application/json"})
    assert read.status_code == 200 and read.headers["Access-Control-Allow-Origin"] == PAGE
    refused = cors_client.get("/ws/v12/interaction/case/1013", headers={"Origin": PAGE})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == PAGE


@pytest.mark.parametrize("origin", ["http://127.0.0.1:5174", "https://evil.example.com", "null",
                                    "http://crm.example.com"])
def test_another_origin_is_not_allowed(cors_client, origin):
    preflight = cors_client.options("/ws/v12/interaction/case/1013", headers={**PREFLIGHT, "Origin": origin})
    assert preflight.status_code == 401
    assert "Access-Control-Allow-Origin" not in preflight.headers
    read = cors_client.get("/ws/v12/interaction/case/1013", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in read.headers
    assert "Origin" in read.headers["Vary"]


def test_a_plain_options_request_is_no_preflight(cors_client):
    response = cors_client.options("/ws/v12/interaction/case/1013", headers={"Origin": PAGE})
    assert response.status_code == 401


@pytest.mark.parametrize("setting, origins", [
    ("", set()),
    ("https://crm.example.com", {"https://crm.example.com"}),
    (" HTTPS://CRM.example.com/ , http://127.0.0.1:8080", {"https://crm.example.com", "http://127.0.0.1:8080"}),
])
def test_the_origins_setting_is_read_as_origins(setting, origins):
    assert parse_cors_origins(setting) == origins


@pytest.mark.parametrize("setting", ["*", "https://*.example.com", "crm.example.com", "https://crm.example.com/app",
                                     "ftp://crm.example.com", "https://crm.example.com:99999",
                                     "https://user@crm.example.com"])
def test_a_wildcard_or_anything_but_an_origin_is_refused_at_start(setting):
    with pytest.raises(ValueError, match="CASEMGR_CORS_ORIGINS"):
        Settings.from_env({"CASEMGR_CORS_ORIGINS": setting})
