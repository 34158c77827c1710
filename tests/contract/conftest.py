"""The app on a real port, with sessions uncapped: the fuzzer logs the same
user in many times, and a cap would only turn its later calls into 403s."""

from __future__ import annotations

import pytest

from casemgr import create_app
from casemgr.config import Settings
from tests.live_server import serve


@pytest.fixture
def base_url(db_url):
    app = create_app(Settings(database_url=db_url, pool_size=8, max_sessions_per_user=100_000))
    try:
        with serve(app) as url:
            yield url
    finally:
        app.extensions["casemgr.database"].close()
