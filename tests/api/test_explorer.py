"""The explorer and the spec are served by the app itself, from local files."""

from __future__ import annotations

import re

from casemgr.openapi import spec_dict


def test_the_root_leads_to_the_explorer(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/explorer")


def test_the_spec_the_banner_names_is_the_generated_one(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == spec_dict()


def test_the_explorer_page_loads_swagger_ui_from_the_app_and_nowhere_else(client):
    page = client.get("/explorer").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(not re.match(r"(?i)[a-z]+:|//", source) for source in sources), sources
    for source in sources:
        asset = client.get(f"/{source}")
        assert asset.status_code == 200, source
        assert asset.get_data(), source
    assert '"validatorUrl": null' in page


def test_an_unknown_asset_is_404(client):
    assert client.get("/explorer/assets/nothing-here.js").status_code == 404


def test_the_favicon_browsers_ask_for_is_swagger_uis_own_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.get_data().startswith(b"\x89PNG\r\n")
