"""Named queries as server-side prepared statements, sent in batches.

Each named query of ``sql/queries`` is PREPAREd once per connection, the
first time that connection runs it: its ``%(name)s`` parameters become
``$1, $2, …`` in order of first use, and Postgres infers their types from the
query. From then on it runs as ``EXECUTE name(…)`` on its cached plan.

Statements whose result nobody reads (writes, BEGIN), or whose row is only
wanted later (``queue_read``), are queued and travel with the next statement
that is read, or with COMMIT: several statements are one simple-protocol
message, one round trip and one read of the results.

Why not psycopg's own prepared statements in pipeline mode, which save the
same round trips: measured on the edit, psycopg's pipeline machinery cost
about twice the client CPU of the whole batch sent this way (a generator,
a poll and a flush per statement). And psycopg deallocates every prepared
statement of a connection after any ROLLBACK, so each refused edit used to
re-plan its statements; prepared statements here outlive rollbacks, as they
do in Postgres. psycopg's automatic preparation is therefore off on these
connections (``prepare_threshold=None``), and values are bound by psycopg's
``ClientCursor`` with psycopg's own adapters, as quoted literals, so no value
is ever spliced into SQL text unquoted.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from psycopg import ClientCursor
from psycopg.rows import dict_row

from casemgr.db.sql import query

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_STATEMENT_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# Statements of a batch are joined by a semicolon on a line of its own, so a
# query text that ends in a -- comment cannot swallow it.
_SEPARATOR = "\n;\n"


@dataclass(frozen=True)
class PreparedQuery:
    name: str
    prepare_sql: str
    parameters: tuple[str, ...]
    execute_sql: str


@functools.cache
def prepared_query(name: str) -> PreparedQuery:
    """The PREPARE and EXECUTE text of a named query. Both still go through
    psycopg's placeholder processing (``%s`` for the values, ``%%`` for %)."""
    if not _STATEMENT_NAME.fullmatch(name):
        # Postgres folds an unquoted name to lower case, and the names read
        # back from pg_prepared_statements must match the ones asked for.
        raise ValueError(f"query name {name!r} is not lower-case snake_case")
    parameters: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(1) not in parameters:
            parameters.append(match.group(1))
        return f"${parameters.index(match.group(1)) + 1}"

    body = _PLACEHOLDER.sub(number, query(name)).rstrip().rstrip(";")
    arguments = f"({', '.join(['%s'] * len(parameters))})" if parameters else ""
    return PreparedQuery(name, f"PREPARE {name} AS {body}", tuple(parameters), f"EXECUTE {name}{arguments}")


# The named statements each open connection holds. A connection that is
# closed or replaced drops out by itself.
_prepared_on: WeakKeyDictionary[psycopg.Connection, set[str]] = WeakKeyDictionary()


class Pending:
    """The row a queued read answers with. It is sent with the next batch;
    asking for the row before then sends what is queued."""

    __slots__ = ("_statements", "_row", "_answered")

    def __init__(self, statements: Statements):
        self._statements = statements
        self._row: dict | None = None
        self._answered = False

    def row(self) -> dict | None:
        if not self._answered:
            self._statements.send_queued()
        if not self._answered:
            # Its batch failed, or its unit of work ended: there is no row
            # to give, and "no row" would be a wrong answer.
            raise RuntimeError("a queued read was never answered")
        return self._row

    @property
    def answered(self) -> bool:
        """Whether its batch was sent and answered (so ``row`` costs no
        round trip)."""
        return self._answered

    def answer(self, row: dict | None) -> None:
        self._row, self._answered = row, True


@dataclass(frozen=True)
class _Statement:
    name: str | None  # None: a plain command (BEGIN, COMMIT)
    sql: str
    arguments: tuple[Any, ...] = ()
    reply: Pending | None = None  # a queued read: where its first row goes


class Statements:
    """Runs named queries on one connection (of one unit of work)."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self._cursor = ClientCursor(conn, row_factory=dict_row)
        self._queued: list[_Statement] = []
        # Messages sent so far (a failed one included): whether anything
        # this unit of work queued has reached the server.
        self.messages_sent = 0

    def one(self, name: str, params: dict | None = None) -> dict | None:
        return self._send(_named(name, params)).fetchone()

    def all(self, name: str, params: dict | None = None) -> list[dict]:
        return self._send(_named(name, params)).fetchall()

    def run(self, name: str, params: dict | None = None) -> int:
        """Runs the statement now (with whatever is queued); its row count."""
        return self._send(_named(name, params)).rowcount

    def queue(self, name: str, params: dict | None = None) -> None:
        """Sent with the next statement that is read, or at the end of the
        unit of work. An error it raises surfaces then."""
        self._queued.append(_named(name, params))

    def queue_read(self, name: str, params: dict | None = None) -> Pending:
        """Like ``queue``, for a statement whose first row is wanted: it
        travels with the next batch, and its row is kept for later."""
        pending = Pending(self)
        self._queued.append(dataclasses.replace(_named(name, params), reply=pending))
        return pending

    def send_queued(self) -> None:
        if self._queued:
            self._send(self._queued.pop())

    def queue_command(self, sql: str) -> None:
        self._queued.append(_Statement(None, sql))

    def flush(self, final_command: str | None = None) -> None:
        """Sends what is queued, followed by ``final_command`` (COMMIT)."""
        if final_command:
            self.queue_command(final_command)
        self.send_queued()

    def drop_queued_writes(self) -> None:
        """Forgets the queued statements whose result nobody reads (writes);
        queued reads and transaction commands stay."""
        self._queued = [s for s in self._queued if s.name is None or s.reply is not None]

    def holds_statements(self) -> bool:
        """Whether anything besides transaction commands is queued."""
        return any(statement.name for statement in self._queued)

    def discard(self) -> None:
        self._queued.clear()

    def _send(self, last: _Statement) -> ClientCursor:
        """One message: the PREPAREs this connection still lacks, everything
        queued, then ``last``, whose result the cursor is left on."""
        batch, self._queued = [*self._queued, last], []
        prepared = self._prepared()
        missing = list(dict.fromkeys(s.name for s in batch if s.name and s.name not in prepared))
        statements = [_Statement(name, prepared_query(name).prepare_sql) for name in missing] + batch
        self.messages_sent += 1
        try:
            self._cursor.execute(_SEPARATOR.join(s.sql for s in statements),
                                 [a for s in statements for a in s.arguments])
        except BaseException:
            if missing:
                # The PREPAREs run first and outlive any error after them,
                # but whether they ran is not known here: ask next time.
                _prepared_on.pop(self.conn, None)
            raise
        prepared.update(missing)
        for statement in statements[:-1]:
            _keep_reply(statement, self._cursor)
            self._cursor.nextset()
        _keep_reply(last, self._cursor)
        return self._cursor

    def _prepared(self) -> set[str]:
        names = _prepared_on.get(self.conn)
        if names is None:
            # A new connection, or one whose last batch failed: ask the server.
            rows = self.conn.execute("SELECT name FROM pg_prepared_statements").fetchall()
            names = _prepared_on.setdefault(self.conn, {row[0] for row in rows})
        return names


def _keep_reply(statement: _Statement, cursor: ClientCursor) -> None:
    if statement.reply is not None:
        statement.reply.answer(cursor.fetchone())


def _named(name: str, params: dict | None) -> _Statement:
    prepared = prepared_query(name)
    params = params or {}
    return _Statement(name, prepared.execute_sql, tuple(params[p] for p in prepared.parameters))
