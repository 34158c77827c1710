"""The eGain APIs in turn: a rule must give the same answer through all."""

from __future__ import annotations

import pytest

from tests.api.clients import EgainV3Client, EgainV12Client, EgainV12XmlClient

EGAIN_CLIENTS = {"v12": EgainV12Client, "v3": EgainV3Client, "v12-xml": EgainV12XmlClient}


@pytest.fixture(params=list(EGAIN_CLIENTS))
def egain(request, client):
    """Each eGain API in turn: a rule must give the same answer through all."""
    return EGAIN_CLIENTS[request.param](client)


@pytest.fixture
def app_with(db_url):
    """An app on this test's database with settings of the test's own."""
    from casemgr import create_app
    from casemgr.config import Settings

    made = []

    def make(**settings):
        app = create_app(Settings(**{"database_url": db_url, "pool_size": 4, "password_hash_profile": "cheapest",
                                     **settings}))
        made.append(app)
        return app.test_client()
    yield make
    for app in made:
        app.extensions["casemgr.database"].close()
