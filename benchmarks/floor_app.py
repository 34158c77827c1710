"""The floor reference: the least an edit with casemgr's write path can do.

``PUT /ws/v12/interaction/case`` (the same request casemgr gets) does only the
database work no implementation of the brief's write path can skip, on the
fewest statements and round trips conceivable:

* one transaction, sent pipelined: BEGIN, the session touch (by the SHA-256 of
  X-egain-session, idle-checked) and the row lock (``FOR UPDATE``, returning
  the case's lastModified), read in one round trip;
* the version check (If-Match) and the new lastModified, in Python;
* one statement that writes the case row and its history entry, with COMMIT,
  in a second round trip.

No rules, no permission, no facts beyond the locked row, no error bodies, no
schema: what is left is the price of authenticating, locking and keeping
history on this machine and stack. casemgr ÷ floor is the cost of
everything casemgr does on top; floor ÷ bare is the cost of the write path
itself, which no optimization of casemgr's code can remove. Served by
gunicorn with casemgr's worker settings (benchmarks/run.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone

import psycopg_pool
from flask import Flask, Response, request

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)

TOUCH_SESSION = """
UPDATE auth_session SET last_used_at = clock_timestamp()
 WHERE token_hash = %s AND api = 'egain-v12' AND last_used_at >= clock_timestamp() - interval '30 minutes'
RETURNING user_id
"""

LOCK_CASE = """
SELECT last_modified, date_trunc('milliseconds', clock_timestamp())
  FROM support_case WHERE id = %s FOR UPDATE
"""

WRITE_CASE_AND_HISTORY = """
WITH updated AS (
    UPDATE support_case SET subject = %(subject)s, last_modified = %(last_modified)s,
                            last_modified_by = %(user_id)s
     WHERE id = %(case_id)s
    RETURNING id
)
INSERT INTO case_history (case_id, last_modified, api, actor_user_id, changes)
SELECT id, %(last_modified)s, 'egain-v12', %(user_id)s, %(changes)s::jsonb FROM updated
"""


def create_app() -> Flask:
    app = Flask(__name__)
    pool = psycopg_pool.ConnectionPool(
        os.environ["FLOOR_DATABASE_URL"],
        min_size=1,
        max_size=int(os.environ.get("FLOOR_POOL_SIZE", "4")),
        kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
        open=True,
    )

    @app.put("/ws/v12/interaction/case")
    def edit():
        body = json.loads(request.get_data())
        case_id = int(body["id"])
        token_hash = hashlib.sha256(request.headers["X-egain-session"].encode()).digest()
        expected = _EPOCH + int(request.headers["If-Match"].strip('"').rsplit("-", 1)[1]) * _ONE_MS
        with pool.connection() as conn, conn.pipeline():
            conn.execute("BEGIN")
            session = conn.execute(TOUCH_SESSION, (token_hash,), prepare=True)
            locked = conn.execute(LOCK_CASE, (case_id,), prepare=True)
            user = session.fetchone()
            last_modified, now = locked.fetchone()
            if user is None or last_modified != expected:
                conn.execute("ROLLBACK")
                return Response(status=401 if user is None else 409)
            new_last_modified = max(now, last_modified + _ONE_MS)
            changes = json.dumps([{"attribute": "subject", "new": body["subject"]}])
            conn.execute(WRITE_CASE_AND_HISTORY, {
                "subject": body["subject"], "last_modified": new_last_modified, "user_id": user[0],
                "case_id": case_id, "changes": changes}, prepare=True)
            conn.execute("COMMIT")
        millis = (new_last_modified - _EPOCH) // _ONE_MS
        return Response(status=204, headers={"ETag": f'"{case_id}-{millis}"'})

    return app
