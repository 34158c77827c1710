"""History entries written before the history could be read are rewritten
in its vocabulary by the migration that makes it readable, and take their
place in the change feed."""

from __future__ import annotations

import psycopg
import pytest

from casemgr.db import migrate
from casemgr.db.sql import migration_files

FEED_MIGRATION = "0005_history_feed"


@pytest.fixture
def url_before_feed(databases):
    name = databases.create("before_feed")
    yield databases.url(name)
    databases.drop(name)


def test_entries_written_before_are_rewritten_in_the_history_vocabulary(url_before_feed, monkeypatch):
    url = url_before_feed
    monkeypatch.setattr(migrate, "migration_files",
                        lambda: [p for p in migration_files() if p.stem < FEED_MIGRATION])
    migrate.upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO department (id, name) VALUES (1, 'Service')")
        conn.execute("INSERT INTO case_status (id, name, state) VALUES (1, 'Open', 'open'), (2, 'Closed', 'closed')")
        conn.execute("INSERT INTO support_case (id, department_id, status_id) VALUES (7, 1, 1)")
        conn.execute("INSERT INTO case_comment (id, case_id, description, created_at)"
                     " VALUES (40, 7, 'Called back', '2026-01-02T10:00:00.050Z'),"
                     " (41, 7, 'Called back', '2026-03-02T10:00:00Z')")  # same text, another day
        conn.execute("""
            INSERT INTO case_history (id, case_id, written_at, last_modified, api, changes) VALUES
            (1, 7, '2026-01-01T10:00:00Z', '2026-01-01T10:00:00Z', 'egain-v12',
             '[{"field": "custom.region", "old": null, "new": "north"}]'),
            (2, 7, '2026-01-02T10:00:00Z', '2026-01-02T10:00:00Z', 'thalamus-v4',
             '[{"field": "status", "old": 1, "new": 2}, {"field": "lastClosed", "old": null, "new": "x"},
               {"field": "custom.Linea", "old": null, "new": "555"},
               {"field": "comments", "old": null, "new": ["Called back"]}]')""")

    monkeypatch.undo()
    applied = migrate.upgrade(url)
    assert applied[0] == FEED_MIGRATION and applied == sorted(applied)  # then the later ones

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, changes, previous_last_modified IS NULL, xid = feed_xid"
                            " FROM case_history ORDER BY id").fetchall()
        migrated_by_one_transaction = conn.execute("SELECT count(DISTINCT xid) FROM case_history").fetchone()[0]
    assert rows == [
        (1, [{"field": "customAttributes.region", "old": None, "new": "north"}], True, True),
        (2, [{"field": "status", "old": 1, "new": 2}, {"field": "caseData.Linea", "old": None, "new": "555"},
             {"field": "comments", "old": None, "new": [40]}], False, True),
    ]
    assert migrated_by_one_transaction == 1
