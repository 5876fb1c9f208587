"""SQLite writers queue on a gate file instead of SQLite's sleeping busy handler, so a request's
one-row write gets in at a bulk importer's next commit (#14: ask p95 while importing)."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import make_engine
from core.settings import get_settings

pytestmark = pytest.mark.nodb


def _gate_is_held(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def test_a_writer_holds_the_gate_until_commit_and_the_next_writer_then_gets_in(
    tmp_path: Path,
) -> None:
    settings = get_settings().model_copy(
        update={"data_dir": tmp_path, "database_url": f"sqlite:///{tmp_path}/gate.db"}
    )
    engine = make_engine(settings)
    gate = Path(f"{tmp_path}/gate.db.writers")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        assert not _gate_is_held(gate)  # released at commit
        with engine.connect() as first:
            first.execute(text("SELECT count(*) FROM t"))
            assert not _gate_is_held(gate)  # reading takes no gate
            first.execute(text("INSERT INTO t (v) VALUES ('import line')"))
            assert _gate_is_held(gate)  # a write transaction is open: the gate is taken
            done = threading.Event()

            def second_writer() -> None:
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO t (v) VALUES ('ask log row')"))
                done.set()

            waiter = threading.Thread(target=second_writer)
            waiter.start()
            assert not done.wait(0.2)  # queued behind the open transaction
            first.commit()
            waiter.join(30)
            assert done.is_set()
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT v FROM t ORDER BY id")).scalars().all()
        assert rows == ["import line", "ask log row"]
        assert not _gate_is_held(gate)
    finally:
        engine.dispose()
