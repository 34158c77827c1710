"""The app on a real port, with sessions uncapped and guessing unthrottled:
the fuzzer logs the same user in many times and sends many wrong passwords
from one address, and a cap or the throttle would only turn its later calls
(its own logins included) into 403s and 429s. Password checks may all run at
once: the fuzzer's requests are not a flood to shed."""

from __future__ import annotations

import pytest

from casemgr import create_app
from casemgr.config import Settings
from tests.live_server import serve


@pytest.fixture
def base_url(db_url):
    app = create_app(Settings(database_url=db_url, pool_size=8, max_sessions_per_user=100_000,
                              throttle_per_account_and_address=1_000_000, throttle_per_account=1_000_000,
                              throttle_per_address=1_000_000, password_hash_concurrency=8))
    try:
        with serve(app) as url:
            yield url
    finally:
        app.extensions["casemgr.database"].close()
