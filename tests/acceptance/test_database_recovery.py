"""ACCEPTANCE D3: PostgreSQL connections are per process and survive the database dropping them.

Engines are created lazily on first use (``core.db.get_engine``), so each uvicorn worker forked
by ``checkfirst serve --workers N`` builds its own pool after the fork; ``pool_pre_ping`` replaces
connections the server closed, as after a PostgreSQL restart. Here every backend of the test
database is terminated from an admin connection while a live server holds pooled connections;
the next requests (reads and writes) must succeed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from forum.models import Course
from tests.conftest import PG_ADMIN_URL, ROOT, TEST_DB, LiveServer

postgresql_only = pytest.mark.skipif(
    TEST_DB != "postgresql", reason="terminates PostgreSQL backends; SQLite has none"
)


def _terminate_backends(database_url: str) -> int:
    """Kill every other connection to the test database, as a restart would; returns how many."""
    from sqlalchemy.engine import make_url

    name = make_url(database_url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)


@postgresql_only
def test_requests_recover_after_database_connections_are_killed(
    test_env: dict[str, str],
    live_server: LiveServer,
    session: Session,
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
) -> None:
    session.add(Course(slug="recovery", title="Recovery"))
    session.commit()
    headers = token_for(make_user("survivor"))
    session.close()
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as http:
        # Fill the server's pool with several connections (concurrent-ish requests).
        for _ in range(5):
            assert http.get("/api/v1/courses").status_code == 200
        killed = _terminate_backends(test_env["CHECKFIRST_DATABASE_URL"])
        assert killed >= 1, "the server held no connection to kill"
        statuses = [http.get("/api/v1/courses/recovery").status_code for _ in range(5)]
        write = http.post(
            "/api/v1/courses/recovery/threads",
            json={"title": "Still writing after the restart", "body": "pre_ping reconnected"},
        )
    assert statuses == [200] * 5
    assert write.status_code == 201, write.text


@postgresql_only
def test_in_process_engine_reconnects_after_backends_are_terminated(
    test_env: dict[str, str], client: Any
) -> None:
    assert client.get("/api/v1/courses").status_code == 200
    _terminate_backends(test_env["CHECKFIRST_DATABASE_URL"])
    assert client.get("/api/v1/courses").status_code == 200


@pytest.mark.nodb
def test_engine_is_created_lazily_so_each_forked_worker_builds_its_own_pool(
    tmp_path: Path,
) -> None:
    code = (
        "import core.db\n"
        "from app.app import create_app\n"
        "create_app()\n"
        "assert core.db._engine is None, 'engine built at import; workers would share a pool'\n"
        "core.db.get_engine()\n"
        "assert core.db._engine is not None\n"
    )
    env = {**os.environ, "CHECKFIRST_INDEX_ENABLED": "false", "CHECKFIRST_DATA_DIR": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-2000:]
