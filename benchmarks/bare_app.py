"""The bare reference: the least a Flask app can do for a chained edit.

``PUT /bare/case/<id>`` reads a JSON body, runs one ``UPDATE … RETURNING`` on
casemgr's own ``support_case`` table (guarded by the If-Match version, the new
``lastModified`` computed by the same rule) and answers 204 with the new ETag.
No session, no rules, no history: the Python-tier limit of this machine for
one write. Served on casemgr's own stack with its worker settings (benchmarks/run.py, serve_reference.py).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import psycopg_pool
from flask import Flask, Response, request

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)

UPDATE = """
UPDATE support_case
   SET subject = %(subject)s,
       last_modified = greatest(date_trunc('milliseconds', clock_timestamp()), last_modified + interval '1 millisecond')
 WHERE id = %(id)s AND last_modified = %(expected)s
RETURNING last_modified
"""


def create_app() -> Flask:
    app = Flask(__name__)
    pool = psycopg_pool.ConnectionPool(
        os.environ["BARE_DATABASE_URL"],
        min_size=1,
        max_size=int(os.environ.get("BARE_POOL_SIZE", "4")),
        kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
        open=True,
    )

    @app.put("/bare/case/<int:case_id>")
    def edit(case_id: int):
        body = json.loads(request.get_data())
        expected = _EPOCH + int(request.headers["If-Match"].strip('"').rsplit("-", 1)[1]) * _ONE_MS
        with pool.connection() as conn:
            row = conn.execute(UPDATE, {"subject": body["subject"], "id": case_id, "expected": expected},
                               prepare=True).fetchone()
        if row is None:
            return Response(status=409)
        millis = (row[0] - _EPOCH) // _ONE_MS
        return Response(status=204, headers={"ETag": f'"{case_id}-{millis}"'})

    return app
