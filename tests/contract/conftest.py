"""The app on a real port, with sessions uncapped and no throttle: the fuzzer
logs the same user in many times, and tries wrong passwords on purpose; a cap
would only turn its later calls into 403s, the throttle into 429s (the
throttle has its own tests, tests/api/test_credentials.py)."""

from __future__ import annotations

import pytest

from casemgr import create_app
from casemgr.config import Settings
from tests.live_server import serve


@pytest.fixture
def base_url(db_url):
    unthrottled = {name: 100_000 for name in (
        "throttle_per_account_and_address", "throttle_per_account", "throttle_per_address")}
    app = create_app(Settings(database_url=db_url, pool_size=8, max_sessions_per_user=100_000, **unthrottled))
    try:
        with serve(app) as url:
            yield url
    finally:
        app.extensions["casemgr.database"].close()
