"""ACCEPTANCE C2, C3, I1, I2, I3 and D1 against the real app and database."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from forum.models import Post, Thread
from tests.conftest import login_browser
from tests.core.test_authz_walk import _api_routes
from tests.forum.conftest import World, ask
from users.models import User

# C2: security headers on every page


def _page_paths(app: Any, world: World, thread_id: int) -> list[str]:
    paths = {
        "/",
        "/login",
        "/register",
        "/profile",
        "/threads/new",
        "/courses/dl",
        "/courses/dl/assignments/a1",
        f"/threads/{thread_id}",
        f"/threads/{thread_id}/edit",
        "/courses/does-not-exist",
        "/docs",
    }
    # Every page other engineers add without path parameters (search, ask, moderation ...).
    for route in _api_routes(app.routes):
        if (
            isinstance(route, APIRoute)
            and "GET" in route.methods
            and "{" not in route.path
            and not route.path.startswith("/api/")
        ):
            paths.add(route.path)
    return sorted(paths)


def _assert_strict_csp(path: str, headers: Any) -> None:
    csp = headers.get("content-security-policy", "")
    assert csp, f"{path}: no Content-Security-Policy"
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("object-src") == "object-src 'none'", (path, csp)
    assert "frame-ancestors" in directives, (path, csp)
    script = directives.get("script-src", directives.get("default-src", ""))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (path, csp)
    assert headers.get("x-content-type-options") == "nosniff", path


def test_every_page_sends_csp_and_nosniff(app: Any, client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    login_browser(client, "alice")
    checked = 0
    for path in _page_paths(app, world, t["thread"]["id"]):
        r = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert r.status_code < 500, (path, r.status_code)
        _assert_strict_csp(path, r.headers)
        if "text/html" in r.headers.get("content-type", ""):
            checked += 1
            # No inline event handlers or inline styles anywhere in our own markup.
            if path != "/docs":
                assert " onclick=" not in r.text and ' style="' not in r.text, path
    assert checked >= 10


def test_inline_scripts_on_pages_carry_the_nonce(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    r = client.get(f"/threads/{t['thread']['id']}")
    nonce = r.headers["content-security-policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    for tag in r.text.split("<script")[1:]:
        opening = tag.split(">", 1)[0]
        assert "src=" in opening or f'nonce="{nonce}"' in opening, opening


# C3: CSRF on cookie-authenticated writes


def test_cookie_post_without_or_with_wrong_csrf_is_refused(
    client: TestClient, world: World, session: Session
) -> None:
    token = login_browser(client, "alice")
    body = {"title": "CSRF", "body": "Hello"}
    r = client.post("/api/v1/courses/dl/threads", json=body)
    assert r.status_code == 403
    assert "security token" in r.json()["detail"]
    r = client.post("/api/v1/courses/dl/threads", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert r.status_code == 403
    for data in ({"course": "dl", **body}, {"course": "dl", "csrf_token": "nope", **body}):
        r = client.post("/threads/new", data=data, follow_redirects=False)
        assert r.status_code == 403
    assert session.exec(select(Thread)).all() == []
    r = client.post("/api/v1/courses/dl/threads", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    r = client.post("/threads/new", data={"csrf_token": token, "course": "dl", **body})
    assert r.status_code == 200


def test_logout_form_without_csrf_keeps_the_session(client: TestClient, world: World) -> None:
    login_browser(client, "alice")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/api/v1/users/me").status_code == 200


def test_bearer_token_calls_are_exempt_from_csrf(client: TestClient, world: World) -> None:
    login_browser(client, "bob")  # a session cookie is present too
    r = client.post(
        "/api/v1/courses/dl/threads",
        json={"title": "From a script", "body": "print(1)"},
        headers=world.headers["alice"],
    )
    assert r.status_code == 201
    assert r.json()["question"]["author"]["username"] == "alice"


# I1: Argon2id, never returned


@pytest.mark.password_cost
def test_password_stored_as_argon2id_and_never_returned(
    client: TestClient, session: Session
) -> None:
    r = client.post("/api/v1/auth/register", json={"username": "ada", "password": "s3cret-pass"})
    assert r.status_code == 201
    user = session.exec(select(User).where(User.username == "ada")).one()
    assert user.password_hash.startswith("$argon2id$")
    params = dict(p.split("=") for p in user.password_hash.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2  # OWASP's Argon2id minimum
    texts = [r.text]
    texts.append(
        client.post("/api/v1/auth/login", json={"username": "ada", "password": "s3cret-pass"}).text
    )
    texts.append(client.get("/api/v1/users/me").text)
    texts.append(client.get("/profile").text)
    texts.append(client.get("/openapi.json").text)
    for body in texts:
        assert "$argon2" not in body and "password_hash" not in body


# I2: session cookie


def _set_cookie(r: Any) -> str:
    return next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "cf_session" in v)


def test_session_cookie_is_httponly_samesite_and_renewed_on_login(
    app: Any, client: TestClient, world: World
) -> None:
    creds = {"username": "alice", "password": "correct horse 1"}
    r1 = client.post("/api/v1/auth/login", json=creds)
    cookie = _set_cookie(r1).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    first = r1.cookies["cf_session"]
    client.cookies.clear()
    # A session id planted before login is never adopted: the login form issues a new one.
    client.cookies.set("cf_session", "planted-by-attacker", domain="testserver.local")
    login_browser(client, "alice")
    second = client.cookies.get("cf_session", domain="testserver.local")
    assert second not in (first, "planted-by-attacker")
    assert client.get("/api/v1/users/me").json()["username"] == "alice"
    with TestClient(app, base_url="https://testserver") as secure_client:
        r3 = secure_client.post("/api/v1/auth/login", json=creds)
        assert "secure" in _set_cookie(r3).lower()


def test_old_cookie_is_dead_after_logout(client: TestClient, world: World) -> None:
    token = login_browser(client, "alice")
    cookie = client.cookies.get("cf_session", domain="testserver.local")
    assert client.get("/api/v1/users/me").status_code == 200
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    r = client.get("/api/v1/users/me", cookies={"cf_session": cookie})
    assert r.status_code == 401


# I3: failed logins


def test_failed_logins_per_ip_get_429_with_retry_after(client: TestClient, world: World) -> None:
    statuses = []
    for i in range(11):
        r = client.post("/api/v1/auth/login", json={"username": f"nobody{i}", "password": "x"})
        statuses.append(r.status_code)
    assert statuses == [401] * 10 + [429]
    assert int(r.headers["Retry-After"]) > 0
    assert "Too many sign-in attempts" in r.json()["detail"]


def test_failed_logins_per_account_get_429_from_any_ip(
    app: Any, client: TestClient, world: World
) -> None:
    statuses = []
    for i in range(11):
        with TestClient(app, client=(f"10.0.0.{i + 1}", 4000)) as c:
            r = c.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong"})
            statuses.append(r.status_code)
    assert statuses == [401] * 10 + [429]
    assert int(r.headers["Retry-After"]) > 0
    # The right password does not get through while the account is held back.
    with TestClient(app, client=("10.0.1.1", 4000)) as c:
        r = c.post("/api/v1/auth/login", json={"username": "alice", "password": "correct horse 1"})
        assert r.status_code == 429


# D1: SQLite settings and concurrent writers


def test_sqlite_pragmas_on_a_live_connection(session: Session) -> None:
    from core.db import get_engine

    engine = get_engine()
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite PRAGMAs; the PostgreSQL pass runs the concurrency test below")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert int(conn.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_concurrent_writers_never_see_database_is_locked(
    world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.db import get_engine
    from core.settings import get_settings
    from forum import service

    monkeypatch.setattr(get_settings(), "rate_limits_enabled", False)
    course = world.course
    with Session(get_engine(), expire_on_commit=False) as s:
        author = s.get(User, world.users["alice"].id)
        assert author is not None
        thread = service.create_thread(
            session=s, user=author, course=course, title="Busy thread", body="Go"
        )
    errors: list[BaseException] = []
    writers = ["alice", "bob", "teacher", "stranger", "mod", "root"]
    per_writer = 12

    def write(name: str) -> None:
        try:
            for i in range(per_writer):
                with Session(get_engine(), expire_on_commit=False) as s:
                    user = s.get(User, world.users[name].id)
                    t = s.get(Thread, thread.id)
                    assert user is not None and t is not None
                    if i % 3 == 2:
                        service.create_thread(
                            session=s, user=user, course=course, title=f"{name} {i}", body="b"
                        )
                    else:
                        post = service.create_reply(session=s, user=user, thread=t, body=f"{i}")
                        if i % 3 == 1:
                            q = service.get_question(session=s, thread=t)
                            if q.author_id != user.id:
                                service.vote(session=s, user=user, post=q, thread=t, value=1)
                            assert post.id
        except BaseException as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, [repr(e) for e in errors]
    session.expire_all()
    busy = session.get(Thread, thread.id)
    assert busy is not None
    replies = session.exec(
        select(Post).where(Post.thread_id == thread.id, Post.is_question == False)  # noqa: E712
    ).all()
    expected_replies = len(writers) * (per_writer - per_writer // 3)
    assert len(replies) == busy.reply_count == expected_replies
    # Everyone but alice (the author) up-voted the question 4 times: one vote each counts.
    assert busy.score == len(writers) - 1


# A3: privileged fields in bodies


def test_register_with_role_admin_creates_a_learner(client: TestClient, session: Session) -> None:
    r = client.post(
        "/api/v1/auth/register",
        json={"username": "mallory", "password": "s3cret-pass", "role": "admin", "id": 1,
              "is_active": True, "is_system": True, "password_hash": "x"},
    )  # fmt: skip
    assert r.status_code == 201
    assert r.json()["role"] == "learner"
    user = session.exec(select(User).where(User.username == "mallory")).one()
    assert (user.role.value, user.is_system) == ("learner", False)
    assert user.password_hash.startswith("$argon2id$")


def _process_writer(env: dict[str, str], user_id: int, thread_id: int, count: int) -> str:
    """Runs in a separate process: its own engine, its own connections, the same database."""
    import os

    os.environ.update(env)
    from core.db import get_engine
    from core.settings import get_settings

    get_settings.cache_clear()
    get_settings().rate_limits_enabled = False
    from forum import service

    try:
        for i in range(count):
            with Session(get_engine(), expire_on_commit=False) as s:
                user = s.get(User, user_id)
                thread = s.get(Thread, thread_id)
                assert user is not None and thread is not None
                service.create_reply(session=s, user=user, thread=thread, body=f"p{i}")
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        return repr(exc)
    return "ok"


def test_concurrent_writer_processes_never_see_database_is_locked(
    world: World, session: Session, test_env: dict[str, str]
) -> None:
    import multiprocessing

    from core.db import get_engine
    from forum import service

    with Session(get_engine(), expire_on_commit=False) as s:
        author = s.get(User, world.users["alice"].id)
        assert author is not None
        thread = service.create_thread(
            session=s, user=author, course=world.course, title="Multi-process", body="Go"
        )
    names = ["bob", "teacher", "stranger", "mod"]
    per_process = 15
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(names)) as pool:
        results = pool.starmap(
            _process_writer,
            [(test_env, world.users[n].id, thread.id, per_process) for n in names],
        )
    assert results == ["ok"] * len(names)
    session.expire_all()
    busy = session.get(Thread, thread.id)
    assert busy is not None and busy.reply_count == len(names) * per_process
