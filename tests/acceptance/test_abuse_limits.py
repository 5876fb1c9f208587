"""ACCEPTANCE R2 (oversized and malformed input) and B1 (rate limits with Retry-After).

Complements tests elsewhere: tests/forum/test_threads_api.py (10 MB thread body, post-length
limit, new-account post limit), tests/errata/test_lifecycle.py (report limit per user),
tests/assistant/test_ask.py (huge traceback, binary input, ask limit), tests/core/test_security.py
(login limits per IP and per account). Here: every kind of write endpoint and form, streamed
bodies without a Content-Length, deep JSON, invalid UTF-8, and limits per user, per IP and for
new accounts, with the server still answering afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from core.clock import utcnow
from core.linear_regex import WORK
from core.ratelimit import limiter
from forum.models import Course, Thread

API = "/api/v1"
BIG = 2_000_000  # twice the default CHECKFIRST_MAX_BODY_BYTES
# Engine characters per pasted character an ask may scan (each pattern reads the text once).
LINEAR_WORK_PER_CHAR = 100


@pytest.fixture()
def course(session: Session) -> Course:
    row = Course(slug="limits", title="Limits")
    session.add(row)
    session.commit()
    return row


def _established(session: Session, user: Any) -> Any:
    """Age an account past ``new_account_seconds`` so only the ordinary limits apply."""
    user.created_at = utcnow() - timedelta(days=30)
    session.add(user)
    session.commit()
    return user


@pytest.fixture()
def learner(
    session: Session, make_user: Callable[..., Any], token_for: Callable[..., dict[str, str]]
) -> dict[str, str]:
    return token_for(_established(session, make_user("established")))


def _thread_count(session: Session) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(Thread)).one())


# R2: oversized bodies


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        (f"{API}/courses/limits/threads", "application/json"),
        (f"{API}/errata", "application/json"),
        (f"{API}/ask", "application/json"),
        (f"{API}/auth/register", "application/json"),
        ("/login", "application/x-www-form-urlencoded"),
        ("/threads/new", "application/x-www-form-urlencoded"),
    ],
)
def test_oversized_body_gets_413_and_server_stays_up(
    client: TestClient, course: Course, learner: dict[str, str], path: str, content_type: str
) -> None:
    body = b'{"title": "' + b"x" * BIG + b'"}'
    r = client.post(path, content=body, headers={**learner, "Content-Type": content_type})
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"]
    assert client.get("/healthz").status_code == 200


def test_streamed_body_without_length_is_cut_off_with_413(
    client: TestClient, course: Course, learner: dict[str, str], session: Session
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": "streamed", "body": "'
        for _ in range(40):
            yield b"y" * 100_000
        yield b'"}'

    r = client.post(
        f"{API}/courses/limits/threads",
        content=chunks(),
        headers={**learner, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert _thread_count(session) == 0
    assert client.get("/api/v1/courses").status_code == 200


# R2: malformed input


@pytest.mark.parametrize(
    ("body", "says"),
    [
        pytest.param(b"[" * 300_000 + b"]" * 300_000, "nests too deeply", id="deep-array"),
        pytest.param(
            b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nests too deeply", id="deep-object"
        ),
        pytest.param(
            b'{"title": "\xff\xfe bad", "body": "\xc3\x28"}', "not valid UTF-8", id="invalid-utf8"
        ),
        pytest.param(b'{"title": "cut off', "not valid JSON (Unterminated string", id="truncated"),
    ],
)
def test_malformed_json_gets_4xx_saying_what_is_wrong_and_nothing_written(
    client: TestClient,
    course: Course,
    learner: dict[str, str],
    session: Session,
    body: bytes,
    says: str,
) -> None:
    for path in (f"{API}/courses/limits/threads", f"{API}/errata", f"{API}/ask"):
        r = client.post(path, content=body, headers={**learner, "Content-Type": "application/json"})
        assert r.status_code in (400, 422), (path, r.status_code, r.text[:200])
        assert says in r.json()["detail"], r.json()
        assert "/docs" in r.json()["detail"]
    assert _thread_count(session) == 0
    assert client.get("/healthz").status_code == 200


def test_invalid_utf8_in_a_form_post_gets_4xx(
    client: TestClient, course: Course, learner: dict[str, str]
) -> None:
    r = client.post(
        "/login",
        content=b"username=\xff\xfe&password=\xc3\x28",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= r.status_code < 500


# B3: adversarial pastes. Pathological units, repeated up to ~19 000 characters (under the
# ask API's field limit): a digit run once took 5 s+ of regex backtracking, doubling per digit.
PASTE_UNITS = {"digits": "0", "slashes": "a/", "frames": 'File "x.py", line 1, in f\n'}

# A client that waits this long has met a hung server, not a slow one: the check is "answered at
# all", so it stays far above any honest answer on a busy machine and far below a backtracking run.
HANG_SECONDS = 30.0


def _paste(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def test_pathological_traceback_pastes_are_answered_not_hung(live_server: Any) -> None:
    # Over real HTTP, so that a request stuck in the parser (the GIL held by a backtracking regex)
    # fails here instead of hanging the test run; the server must still answer afterwards.
    with httpx.Client(base_url=live_server.url, timeout=HANG_SECONDS) as http:
        for name, unit in PASTE_UNITS.items():
            paste = _paste(unit, 19_000)
            try:
                r = http.post(f"{API}/ask", json={"question": "why?", "traceback": paste})
            except httpx.TimeoutException:
                pytest.fail(f"no answer to the {name!r} paste in {HANG_SECONDS:.0f} s: it hung")
            assert r.status_code in (200, 422), (name, r.text[:300])
        assert http.get("/healthz").status_code == 200


@pytest.mark.parametrize("unit", PASTE_UNITS.values(), ids=PASTE_UNITS.keys())
def test_pathological_traceback_paste_costs_linear_work(
    client: TestClient, course: Course, unit: str
) -> None:
    # Work is counted, not timed: the characters the regex engine scans for the whole ask.
    # Doubling the paste at most doubles the work, and the work stays a small multiple of the
    # paste; a parser that rescans from every line or match grows quadratically and fails.
    counts = []
    for size in (4_750, 9_500, 19_000):
        WORK.reset()
        r = client.post(f"{API}/ask", json={"question": "why?", "traceback": _paste(unit, size)})
        assert r.status_code in (200, 422), r.text[:300]
        counts.append(WORK.chars)
    assert all(large <= 2.2 * small for small, large in pairwise(counts)), counts
    assert counts[-1] <= LINEAR_WORK_PER_CHAR * 19_000, counts


def test_traceback_over_the_body_limit_gets_413(client: TestClient, course: Course) -> None:
    huge = "Traceback (most recent call last):\n" + '  File "x.py", line 1, in f\n' * 60_000
    r = client.post(f"{API}/ask", json={"question": "help", "traceback": huge})
    assert r.status_code == 413
    assert client.get("/healthz").status_code == 200


# B1: rate limits


def _limit(monkeypatch: pytest.MonkeyPatch, **rates: str) -> None:
    from core.settings import get_settings

    for name, value in rates.items():
        monkeypatch.setattr(get_settings(), name, value)


def _post(client: TestClient, headers: dict[str, str], n: int = 0) -> Any:
    return client.post(
        f"{API}/courses/limits/threads",
        json={"title": f"Question number {n}", "body": "Why does this fail?"},
        headers=headers,
    )


def test_posts_are_limited_per_user_with_retry_after(
    client: TestClient, course: Course, learner: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, rate_post="3/60")
    codes = [_post(client, learner, i).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    r = _post(client, learner, 9)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert "Try again in" in r.json()["detail"]


def test_posts_are_limited_per_ip_across_accounts(
    client: TestClient,
    course: Course,
    session: Session,
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(monkeypatch, rate_post="3/60")
    a = token_for(_established(session, make_user("first_account")))
    b = token_for(_established(session, make_user("second_account")))
    assert [_post(client, a, i).status_code for i in range(2)] == [201, 201]
    assert _post(client, b, 3).status_code == 201
    r = _post(client, b, 4)  # b's own count is 2, the address's is 4
    assert r.status_code == 429
    assert "from this address" in r.json()["detail"]
    assert int(r.headers["Retry-After"]) >= 1


def test_new_accounts_get_the_tighter_post_limit(
    client: TestClient,
    course: Course,
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
    learner: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(monkeypatch, rate_post="50/60", rate_post_new_account="2/60")
    newbie = token_for(make_user("brand_new"))
    assert [_post(client, newbie, i).status_code for i in range(3)] == [201, 201, 429]
    assert _post(client, learner, 7).status_code == 201


def _report(client: TestClient, headers: dict[str, str], n: int) -> Any:
    return client.post(
        f"{API}/errata",
        json={"course": "limits", "title": f"Expected output {n} is wrong", "description": "x"},
        headers=headers,
    )


def test_reports_are_limited_per_user_and_per_ip_with_retry_after(
    client: TestClient,
    course: Course,
    session: Session,
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(monkeypatch, rate_report="2/60")
    a = token_for(_established(session, make_user("reporter_a")))
    b = token_for(_established(session, make_user("reporter_b")))
    assert [_report(client, a, i).status_code for i in range(3)] == [201, 201, 429]
    r = _report(client, b, 5)  # a fresh account, but the same address as a
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1


def test_asks_are_limited_per_user_and_per_ip_with_retry_after(
    client: TestClient,
    course: Course,
    learner: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(monkeypatch, rate_ask="2/60")
    ask = {"question": "gru_cell shapes not aligned"}
    assert [client.post(f"{API}/ask", json=ask, headers=learner).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    anonymous = [client.post(f"{API}/ask", json=ask).status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
    r = client.post(f"{API}/ask", json=ask)
    assert int(r.headers["Retry-After"]) >= 1


def test_limits_are_configurable_and_can_be_switched_off(
    client: TestClient, course: Course, learner: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, rate_post="1/60")
    assert [_post(client, learner, i).status_code for i in range(2)] == [201, 429]
    from core.settings import get_settings

    monkeypatch.setattr(get_settings(), "rate_limits_enabled", False)
    assert _post(client, learner, 5).status_code == 201


# R1/R2: NUL characters (PostgreSQL text cannot hold them; they once caused 500s)


def test_nul_characters_in_any_input_never_cause_a_5xx(
    app: Any,
    course: Course,
    learner: dict[str, str],
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    mod = token_for(make_user("nul_moderator", "moderator"))
    nul = "a\x00b"
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{API}/errata", {"json": {"course": nul, "title": "t"}, "headers": learner}),
        ("POST", f"{API}/errata", {"json": {"course": "limits", "title": nul, "description": nul,
                                            "location": nul}, "headers": learner}),
        ("POST", f"{API}/errata", {"json": {"course": "limits", "assignment": nul,
                                            "title": "a title"}, "headers": learner}),
        ("GET", f"{API}/errata", {"params": {"course": nul}}),
        ("GET", f"{API}/errata", {"params": {"course": "limits", "assignment": nul,
                                             "version": nul}}),
        ("GET", f"{API}/errata/similar", {"params": {"course": "limits", "title": nul}}),
        ("POST", f"{API}/auth/register", {"json": {"username": nul, "password": "long enough 1"}}),
        ("POST", f"{API}/auth/register", {"json": {"username": "fine_name", "display_name": nul,
                                                   "password": "long enough 1"}}),
        ("POST", f"{API}/auth/login", {"json": {"username": nul, "password": nul}}),
        ("POST", f"{API}/tokens", {"json": {"name": nul}, "headers": learner}),
        ("GET", f"{API}/search", {"params": {"q": nul}}),
        ("POST", f"{API}/ask", {"json": {"question": "q", "course": nul}}),
        ("GET", f"{API}/courses/a%00b/errata.jsonl", {"headers": mod}),
        ("GET", f"{API}/courses/limits/threads", {"params": {"assignment": nul}}),
        ("POST", f"{API}/courses/limits/threads", {"json": {"title": nul, "body": nul,
                                                            "assignment": None},
                                                   "headers": learner}),
    ]  # fmt: skip
    eid = client.post(
        f"{API}/errata", json={"course": "limits", "title": "fine"}, headers=learner
    ).json()["id"]
    calls += [
        ("PATCH", f"{API}/errata/{eid}", {"json": {"title": nul}, "headers": learner}),
        ("POST", f"{API}/errata/{eid}/verify", {"json": {"reason": nul}, "headers": mod}),
        ("POST", f"{API}/errata/{eid}/fix", {"json": {"reason": nul, "fixed_in": nul},
                                             "headers": mod}),
    ]  # fmt: skip
    failures = []
    for method, path, kwargs in calls:
        r = client.request(method, path, **kwargs)
        if r.status_code >= 500:
            failures.append((method, path, r.status_code))
    assert failures == []
    # Accepted text is stored without its NUL characters, the same on SQLite and PostgreSQL.
    r = client.post(
        f"{API}/errata", json={"course": "limits", "title": "a\x00 title\x00"}, headers=learner
    )
    assert r.status_code == 201, r.text
    assert (
        client.get(f"{API}/errata/{r.json()['id']}", headers=learner).json()["title"] == "a title"
    )
    # A username must be letters, digits, "_", "." or "-" (the pattern was silently ignored).
    r = client.post(f"{API}/auth/register", json={"username": "a b!", "password": "long enough 1"})
    assert r.status_code == 422


def test_new_accounts_get_the_tighter_report_and_ask_limits(
    client: TestClient,
    course: Course,
    session: Session,
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(
        monkeypatch,
        rate_report="5/60",
        rate_report_new_account="1/60",
        rate_ask="5/60",
        rate_ask_new_account="1/60",
    )
    fresh = token_for(make_user("fresh_learner"))
    old = token_for(_established(session, make_user("old_learner")))
    assert [_report(client, fresh, i).status_code for i in range(2)] == [201, 429]
    limiter.reset()  # the per-IP count is shared by both accounts here; start it afresh
    assert [_report(client, old, 10 + i).status_code for i in range(2)] == [201, 201]
    ask = {"question": "gru_cell shapes not aligned"}
    asks = [client.post(f"{API}/ask", json=ask, headers=fresh).status_code for _ in range(2)]
    assert asks == [200, 429]
    asks = [client.post(f"{API}/ask", json=ask, headers=old).status_code for _ in range(2)]
    assert asks == [200, 200]


# B4: spoofed X-Forwarded-For through a real uvicorn


def test_spoofed_forwarded_for_does_not_dodge_ip_limits_over_http(
    test_env: dict[str, str], db: None
) -> None:
    # uvicorn started directly trusts X-Forwarded-For from loopback unless told not to; the app
    # decides (CHECKFIRST_TRUSTED_PROXIES, empty here), so a fresh address per request is ignored.
    from tests.conftest import LiveServer

    server = LiveServer(test_env, {"CHECKFIRST_RATE_SEARCH": "3/60"}).start()
    try:
        with httpx.Client(base_url=server.url, timeout=HANG_SECONDS) as http:
            codes = [
                http.get(
                    f"{API}/search", params={"q": "x"}, headers={"X-Forwarded-For": f"10.9.8.{n}"}
                ).status_code
                for n in range(4)
            ]
    finally:
        server.stop()
    assert codes[-1] == 429, codes
