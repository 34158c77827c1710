"""The app on a real port with the demo dataset, as an integrator first meets
it after `casemgr serve --demo` (served here by the test helper, on a free
port of 127.0.0.1, over a test database of its own)."""

from __future__ import annotations

import pytest

from casemgr import create_app
from casemgr.cli import demo_dataset
from casemgr.config import Settings
from casemgr.db.loader import load_file
from tests.live_server import serve


@pytest.fixture
def demo_base_url(empty_db_url):
    load_file(empty_db_url, demo_dataset())
    app = create_app(Settings(database_url=empty_db_url, pool_size=4))
    try:
        with serve(app) as url:
            yield url
    finally:
        app.extensions["casemgr.database"].close()
