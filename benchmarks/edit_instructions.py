"""Instructions per v12 edit in the app's process, counted by valgrind.

Throughput on a shared machine moves by tens of percent from run to run;
the instructions the app's Python process executes for one edit do not. This
script counts them: it runs chained ``PUT /ws/v12/interaction/case`` edits
through Flask's test client on one thread (the app, its schemas, the domain,
psycopg's client side; not Postgres), once with a few edits and once with
more, each under ``valgrind --tool=callgrind``, and divides the difference by
the difference in edits, so the start-up cancels out.

    .venv/bin/python benchmarks/edit_instructions.py                 # this checkout
    .venv/bin/python benchmarks/edit_instructions.py --edits 50,250  # the two counts

To compare two commits, run it in a checkout of each (Postgres and valgrind
the same): the ratio of the two figures is the change's cost. It needs
valgrind (Debian's package) and a Postgres server (CASEMGR_DATABASE_URL or
--database-url; a database ``casemgr_bench_instructions`` is created there,
migrated and loaded with tests/fixtures/world.yaml, and dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "casemgr_bench_instructions"
COLLECTED = re.compile(r"Collected : (\d+)")

# The measured process: log in, warm up, then the chained edits.
EDITS = r"""
import sys
from casemgr import create_app
from casemgr.config import Settings

url, count = sys.argv[1], int(sys.argv[2])
app = create_app(Settings(database_url=url, pool_size=2))
client = app.test_client()
login = client.post("/ws/v12/authentication/user/login?forceLogin=yes",
                    json={"userName": "frank", "password": "frank-pass"}, headers={"Accept": "application/json"})
headers = {"X-egain-session": login.headers["X-egain-session"], "Accept": "application/json"}
etag = client.get("/ws/v12/interaction/case/1013", headers=headers).headers["ETag"]
for number in range(20 + count):
    answer = client.put("/ws/v12/interaction/case", json={"id": "1013", "subject": f"edit {number}"},
                        headers={**headers, "If-Match": etag})
    assert answer.status_code == 204, answer.get_data(as_text=True)
    etag = answer.headers["ETag"]
app.extensions["casemgr.database"].close()
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("CASEMGR_DATABASE_URL"),
                        help="Postgres server (default: CASEMGR_DATABASE_URL)")
    parser.add_argument("--edits", default="50,250", help="the two edit counts (default 50,250)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("no Postgres server: set CASEMGR_DATABASE_URL or pass --database-url")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    few, many = (int(n) for n in args.edits.split(","))
    # The test world's passwords hashed cheaply, as the test suite does: a
    # login costs the same in both runs anyway.
    os.environ.setdefault("CASEMGR_PASSWORD_HASH_PROFILE", "cheapest")
    url = _fresh_database(args.database_url)
    try:
        counts = {n: _instructions(url, n) for n in (few, many)}
    finally:
        _drop(args.database_url)
    per_edit = (counts[many] - counts[few]) / (many - few)
    print(f"instructions per v12 edit (app process, {few} and {many} edits): {per_edit:,.0f}")
    print(f"  totals: {few} edits {counts[few]:,}, {many} edits {counts[many]:,}")
    return 0


def _instructions(url: str, edits: int) -> int:
    env = {**os.environ, "CASEMGR_PASSWORD_HASH_PROFILE": "cheapest", "PYTHONHASHSEED": "0"}
    started = time.monotonic()
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", EDITS, url,
         str(edits)], env=env, capture_output=True, text=True, check=True)
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no total:\n{done.stderr[-2000:]}")
    print(f"  {edits} edits: {int(found.group(1)):,} instructions ({time.monotonic() - started:.0f} s)",
          file=sys.stderr)
    return int(found.group(1))


def _fresh_database(server_url: str) -> str:
    from casemgr.db import embedded, migrate
    from casemgr.db.loader import load_file

    _drop(server_url)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    url = embedded.with_database(server_url, DATABASE)
    migrate.upgrade(url)
    load_file(url, ROOT / "tests" / "fixtures" / "world.yaml")
    return url


def _drop(server_url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))


if __name__ == "__main__":
    sys.exit(main())
