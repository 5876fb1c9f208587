"""Database engine and sessions. SQLite by default; PostgreSQL through CHECKFIRST_DATABASE_URL."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from core.settings import Settings, get_settings
from core.xmltext import XML_INVALID, xml_safe

_engine: Engine | None = None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside one writer; busy_timeout waits instead of failing with
    # "database is locked"; foreign keys are off by default in SQLite (ACCEPTANCE D1).
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit is on disk before the 2xx goes out, even if the machine loses power.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


# SQLite lets one writer in at a time and makes the others *poll*: its busy handler sleeps 1, 2,
# 5 ... up to 100 ms between tries. A bulk writer (``checkfirst import``: one transaction per
# line, back to back) frees the lock for only a moment between two transactions, so an ask that
# logs one row could miss it try after try and wait seconds (p95 2.3 s while 10k threads were
# imported, #14). Writers therefore first take an flock on ``<database>.writers``, polled every
# millisecond: a waiting request gets in at the importer's next commit. The gate is held from
# the connection's first write until its commit or rollback (or its return to the pool). A wait
# longer than SQLite's own timeout falls through to SQLite, as without the gate.
GATE_POLL_SECONDS = 0.001
GATE_WAIT_SECONDS = 10.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


class _WriterGate:
    def __init__(self, path: str) -> None:
        self.path = path

    def before_execute(
        self, conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        info = conn.info
        if info.get("writer_gate_held"):
            return
        fd = info.get("writer_gate_fd")
        if fd is None:
            fd = info["writer_gate_fd"] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + GATE_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                info["writer_gate_held"] = True
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return  # let SQLite's busy timeout decide, as without the gate
                time.sleep(GATE_POLL_SECONDS)

    @staticmethod
    def release(dbapi_connection: Any, connection_record: Any) -> None:
        _WriterGate._release(connection_record.info if connection_record is not None else None)

    @staticmethod
    def reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        _WriterGate.release(dbapi_connection, connection_record)

    @staticmethod
    def invalidate(dbapi_connection: Any, connection_record: Any, exception: Any) -> None:
        _WriterGate.release(dbapi_connection, connection_record)

    @staticmethod
    def end_transaction(conn: Any) -> None:
        # Fired just before COMMIT or ROLLBACK: the next writer may briefly meet SQLite's
        # own lock while this one finishes, and then waits a millisecond or two.
        _WriterGate._release(conn.info)

    @staticmethod
    def _release(info: dict[str, Any] | None) -> None:
        if info and info.pop("writer_gate_held", False):
            fcntl.flock(info["writer_gate_fd"], fcntl.LOCK_UN)

    @staticmethod
    def close(dbapi_connection: Any, connection_record: Any) -> None:
        _WriterGate.release(dbapi_connection, connection_record)
        record = connection_record
        fd = record.info.pop("writer_gate_fd", None) if record is not None else None
        if fd is not None:
            os.close(fd)


def _writer_gate(engine: Engine) -> None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    gate = _WriterGate(f"{os.path.realpath(database)}.writers")  # one per file, whatever the cwd
    event.listen(engine, "before_cursor_execute", gate.before_execute)
    event.listen(engine, "commit", gate.end_transaction)
    event.listen(engine, "rollback", gate.end_transaction)
    event.listen(engine.pool, "checkin", gate.release)
    event.listen(engine.pool, "reset", gate.reset)
    event.listen(engine.pool, "close", gate.close)
    event.listen(engine.pool, "invalidate", gate.invalidate)


def _clean(value: Any) -> Any:
    return xml_safe(value) if isinstance(value, str) and XML_INVALID.search(value) else value


def _without_nul(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
) -> tuple[str, Any]:
    # PostgreSQL text cannot hold NUL (psycopg raises DataError, a 500), and one control
    # character in a stored title breaks every XML document it reaches (the errata Atom feed,
    # issue #11): drop every XML 1.0-invalid character (core.xmltext) from every bound string,
    # for every table, in this one place. SQLite gets the same treatment so that both databases
    # store exactly the same text.
    if isinstance(parameters, dict):
        return statement, {k: _clean(v) for k, v in parameters.items()}
    if isinstance(parameters, (list, tuple)):
        rows = [
            {k: _clean(v) for k, v in p.items()} if isinstance(p, dict)
            else type(p)(_clean(v) for v in p) if isinstance(p, (list, tuple))
            else _clean(p)
            for p in parameters
        ]  # fmt: skip
        return statement, rows if executemany or isinstance(parameters, list) else tuple(rows)
    return statement, parameters


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.ensure_data_dir()
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, pool_size=10
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _without_nul, retval=True)
        _writer_gate(engine)
        return engine
    # pre_ping replaces connections the server dropped (a database restart, ACCEPTANCE D3).
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    event.listen(engine, "before_cursor_execute", _without_nul, retval=True)
    return engine


def get_engine() -> Engine:
    """The process's engine, created on first use, so that each forked worker gets its own pool."""
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings())
    return _engine


def reset_engine() -> None:
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = None


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
