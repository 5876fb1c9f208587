"""Shared fixtures: a real database (SQLite or PostgreSQL), the app, users of every role.

``CHECKFIRST_TEST_DB=sqlite`` (default) or ``postgresql`` picks the database; ``make test`` runs
the whole suite on both. Each run makes its own database (a temp SQLite file, or a fresh
PostgreSQL database on 127.0.0.1:5432 that is dropped at the end) and migrates it with Alembic.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

TEST_DB = os.environ.get("CHECKFIRST_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "CHECKFIRST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nodb: needs no database; runs only in the SQLite pass")
    config.addinivalue_line("markers", "browser: drives Debian's chromium through Playwright")
    config.addinivalue_line("markers", "model: loads the real embedding model")
    config.addinivalue_line(
        "markers", "password_cost: hashes passwords with the production Argon2id parameters"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The PostgreSQL pass runs what can differ by database. Tests marked ``nodb`` need none;
    # ``browser`` tests drive the pages in chromium, whose queries the HTTP and page tests
    # (TestClient) run on both databases, so they run once, in the SQLite pass: the two passes
    # run side by side on two cores, and the PostgreSQL pass is the longer one.
    if TEST_DB == "postgresql":
        skip = pytest.mark.skip(reason="database-independent; covered by the SQLite pass")
        for item in items:
            if "nodb" in item.keywords or "browser" in item.keywords:
                item.add_marker(skip)


def _create_pg_database() -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"checkfirst_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return url, drop


@pytest.fixture(scope="session")
def test_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment for this run, also handed to servers and kernels the tests start."""
    data_dir = tmp_path_factory.mktemp("var")
    env = {
        "CHECKFIRST_ENV": "test",
        "CHECKFIRST_DATA_DIR": str(data_dir),
        "CHECKFIRST_SECRET_KEY": secrets.token_urlsafe(40),
        "CHECKFIRST_RATE_LIMITS_ENABLED": "true",
        # Test accounts are all minutes old: give them the ordinary report and ask limits;
        # tests/acceptance/test_abuse_limits.py sets the tighter new-account ones itself.
        "CHECKFIRST_RATE_REPORT_NEW_ACCOUNT": "10/60",
        "CHECKFIRST_RATE_ASK_NEW_ACCOUNT": "60/60",
        # No indexer thread or model unless a test asks (tests/index enables it).
        "CHECKFIRST_INDEX_ENABLED": "false",
        # No mail thread in the app either: tests/notify runs delivery passes itself.
        "CHECKFIRST_MAIL_WORKER": "false",
        # No gc.freeze at app start: tests start many apps in one process
        # (tests/index/test_gc_freeze.py turns it on).
        "CHECKFIRST_GC_FREEZE": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    drop: Callable[[], None] | None = None
    if TEST_DB == "postgresql":
        env["CHECKFIRST_DATABASE_URL"], drop = _create_pg_database()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    from core.settings import get_settings

    get_settings.cache_clear()
    from app.migrate import upgrade

    upgrade()
    yield env
    from core.db import reset_engine

    reset_engine()
    if drop:
        drop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_settings.cache_clear()


def _truncate_all() -> None:
    from app.tables import metadata
    from core.db import get_engine

    engine = get_engine()
    names = [t.name for t in metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{n}"' for n in names)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(names):
                conn.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture()
def db(test_env: dict[str, str]) -> Iterator[None]:
    """A clean database for one test (every table emptied afterwards)."""
    from core.ratelimit import limiter

    limiter.reset()
    yield
    _truncate_all()
    limiter.reset()


@pytest.fixture()
def session(db: None) -> Iterator[Session]:
    from core.db import get_engine

    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


@pytest.fixture(scope="session")
def app(test_env: dict[str, str]):  # type: ignore[no-untyped-def]
    from app.app import create_app
    from core.settings import get_settings

    return create_app(get_settings())


@pytest.fixture()
def client(app, db: None) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


# Users of every role


@pytest.fixture(autouse=True)
def _cheap_password_hashing(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hash passwords with argon2-cffi's test profile in this process (m=8 KiB, t=1): a
    production hash costs ~0.1 s of both cores, and most tests sign someone in. Hashes stay
    Argon2id; tests marked ``password_cost`` check the production parameters, and servers the
    tests start in a subprocess hash as production does."""
    if "password_cost" in request.keywords:
        return
    from argon2 import PasswordHasher, profiles

    import core.security

    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(core.security, "_hasher", cheap)
    monkeypatch.setattr(core.security, "_DUMMY_HASH", cheap.hash("not-a-real-password"))


@pytest.fixture()
def make_user(session: Session) -> Callable[..., object]:
    from users.auth import create_user
    from users.models import Role, UserCreate

    def make(username: str | None = None, role: str = "learner", password: str = "correct horse 1"):  # type: ignore[no-untyped-def]
        name = username or f"user_{uuid.uuid4().hex[:8]}"
        return create_user(
            session=session,
            user_create=UserCreate(username=name, password=password),
            role=Role(role),
        )

    return make


@pytest.fixture()
def token_for(session: Session) -> Callable[..., dict[str, str]]:
    """Authorization headers for a user (a real personal API token)."""
    from users.auth import create_api_token
    from users.models import TokenScope

    def headers(user: object, scope: str = "full") -> dict[str, str]:
        _, secret = create_api_token(
            session=session, user=user, name="test", scope=TokenScope(scope)
        )  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {secret}"}

    return headers


def login_browser(client: TestClient, username: str, password: str = "correct horse 1") -> str:
    """Sign in through the login form as a browser does; returns the page's CSRF token."""
    page = client.get("/login")
    token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/login")
    return page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


# A real server over HTTP (uvicorn in a subprocess) for browsers, kernels and HTTP clients.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, env: dict[str, str], extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, **(extra_env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> LiveServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-proxy-headers"],
            cwd=ROOT, env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture()
def live_server(test_env: dict[str, str], db: None) -> Iterator[LiveServer]:
    server = LiveServer(test_env).start()
    yield server
    server.stop()
