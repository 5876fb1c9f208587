"""Database engine and sessions. SQLite by default; PostgreSQL through CHECKFIRST_DATABASE_URL."""

from __future__ import annotations

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
