"""The app on a real port, with sessions uncapped and failed credential
checks unthrottled: the fuzzer logs the same user in many times, and sends
wrong credentials on purpose on every operation (to see them refused); a cap
or a throttle would only turn its later calls into 403s and 429s. The
throttle has its own suite (tests/reliability/test_guessing.py)."""

from __future__ import annotations

import pytest

from casemgr import create_app
from casemgr.config import Settings
from tests.live_server import serve


@pytest.fixture
def base_url(db_url):
    app = create_app(Settings(database_url=db_url, pool_size=8, max_sessions_per_user=100_000,
                              throttle_per_account_and_address=100_000, throttle_per_account=100_000,
                              throttle_per_address=100_000))
    try:
        with serve(app) as url:
            yield url
    finally:
        app.extensions["casemgr.database"].close()
