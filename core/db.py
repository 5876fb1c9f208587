"""Database engine and sessions. SQLite by default; PostgreSQL through CHECKFIRST_DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from core.settings import Settings, get_settings

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


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.ensure_data_dir()
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, pool_size=10
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping replaces connections the server dropped (a database restart, ACCEPTANCE D3).
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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
