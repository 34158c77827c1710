"""The floor reference: the least an edit with casemgr's write path can do.

``PUT /ws/v12/interaction/case`` (the same request casemgr gets) does only the
database work no implementation of the brief's write path can skip, on the
fewest statements and round trips conceivable:

* one transaction in two messages (simple-protocol batches of prepared
  statements, the technique casemgr.db.statements uses): BEGIN, the session
  touch (by the SHA-256 of X-egain-session, idle-checked) and the row lock
  (``FOR UPDATE``, returning the case's lastModified) in the first;
* the version check (If-Match) and the new lastModified, in Python;
* one statement that writes the case row and its history entry, with COMMIT,
  in the second.

No rules, no permission, no facts beyond the locked row, no error bodies, no
schema: what is left is the price of authenticating, locking and keeping
history on this machine and stack. casemgr ÷ floor is the cost of
everything casemgr does on top; floor ÷ bare is the cost of the write path
itself, which no optimization of casemgr's code can remove. Served on
casemgr's own stack with its worker settings (benchmarks/run.py,
serve_reference.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone

import psycopg_pool
from psycopg import ClientCursor
from flask import Flask, Response, request

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)

PREPARED = {
    "touch_session": """
UPDATE auth_session SET last_used_at = clock_timestamp()
 WHERE token_hash = $1 AND api = 'egain-v12' AND last_used_at >= clock_timestamp() - interval '30 minutes'
RETURNING user_id""",
    "lock_case": """
SELECT last_modified, date_trunc('milliseconds', clock_timestamp())
  FROM support_case WHERE id = $1 FOR UPDATE""",
    "write_case_and_history": """
WITH updated AS (
    UPDATE support_case SET subject = $1, last_modified = $2, last_modified_by = $3
     WHERE id = $4
    RETURNING id
)
INSERT INTO case_history (case_id, last_modified, api, actor_user_id, changes)
SELECT id, $2, 'egain-v12', $3, $5::jsonb FROM updated""",
}


def prepare(conn) -> None:
    for name, text in PREPARED.items():
        conn.execute(f"PREPARE {name} AS {text}")


def create_app() -> Flask:
    app = Flask(__name__)
    pool = psycopg_pool.ConnectionPool(
        os.environ["FLOOR_DATABASE_URL"],
        min_size=1,
        max_size=int(os.environ.get("FLOOR_POOL_SIZE", "4")),
        kwargs={"autocommit": True, "options": "-c TimeZone=UTC", "prepare_threshold": None},
        configure=prepare,
        open=True,
    )

    @app.put("/ws/v12/interaction/case")
    def edit():
        body = json.loads(request.get_data())
        case_id = int(body["id"])
        token_hash = hashlib.sha256(request.headers["X-egain-session"].encode()).digest()
        expected = _EPOCH + int(request.headers["If-Match"].strip('"').rsplit("-", 1)[1]) * _ONE_MS
        with pool.connection() as conn:
            cursor = ClientCursor(conn)
            cursor.execute("BEGIN; EXECUTE touch_session(%s); EXECUTE lock_case(%s)", (token_hash, case_id))
            cursor.nextset()
            user = cursor.fetchone()
            cursor.nextset()
            last_modified, now = cursor.fetchone()
            if user is None or last_modified != expected:
                conn.rollback()
                return Response(status=401 if user is None else 409)
            new_last_modified = max(now, last_modified + _ONE_MS)
            changes = json.dumps([{"attribute": "subject", "new": body["subject"]}])
            cursor.execute("EXECUTE write_case_and_history(%s, %s, %s, %s, %s); COMMIT",
                           (body["subject"], new_last_modified, user[0], case_id, changes))
        millis = (new_last_modified - _EPOCH) // _ONE_MS
        return Response(status=204, headers={"ETag": f'"{case_id}-{millis}"'})

    return app
