"""Widget tokens may only ask and read; they can be revoked; asks are limited per token (B2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from errata.models import Erratum, ErratumStatus
from forum.models import Course, Post, Thread
from tests.notebook.test_cors import make_client


@pytest.fixture()
def widget_client(db: None) -> Iterator[TestClient]:
    with make_client(rate_ask="2/60") as c:
        yield c


@pytest.fixture()
def content(session: Session, make_user: Callable[..., Any]) -> dict[str, Any]:
    from forum import service as forum_service

    moderator = make_user("mod_widget", "moderator")
    course = Course(slug="dl", title="Deep Learning")
    session.add(course)
    session.commit()
    thread = forum_service.create_thread(
        session=session, user=moderator, course=course, title="a_next is off", body="Why?"
    )
    assert course.id and moderator.id
    erratum = Erratum(course_id=course.id, title="Wrong a_next", reporter_id=moderator.id)
    session.add(erratum)
    session.commit()
    return {"moderator": moderator, "course": course, "thread": thread, "erratum": erratum}


def test_widget_token_reads_courses_and_threads(
    widget_client: TestClient, content: dict[str, Any], token_for: Callable[..., Any]
) -> None:
    headers = token_for(content["moderator"], "widget")
    assert widget_client.get("/api/v1/courses", headers=headers).status_code == 200
    r = widget_client.get(f"/api/v1/threads/{content['thread'].id}", headers=headers)
    assert r.status_code == 200
    assert r.json()["thread"]["title"] == "a_next is off"


def test_widget_token_cannot_post_vote_or_transition(
    widget_client: TestClient,
    content: dict[str, Any],
    token_for: Callable[..., Any],
    session: Session,
) -> None:
    headers = token_for(content["moderator"], "widget")
    thread, erratum = content["thread"], content["erratum"]
    question = session.exec(select(Post).where(Post.thread_id == thread.id)).one()
    attempts = [
        ("POST", "/api/v1/courses/dl/threads", {"title": "Another question", "body": "Body"}),
        ("POST", f"/api/v1/threads/{thread.id}/replies", {"body": "A reply"}),
        ("PUT", f"/api/v1/posts/{question.id}/vote", {"value": 1}),
        ("POST", f"/api/v1/errata/{erratum.id}/verify", {"reason": "Confirmed"}),
        ("DELETE", f"/api/v1/threads/{thread.id}", None),
    ]
    for method, path, body in attempts:
        r = widget_client.request(method, path, json=body, headers=headers)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["detail"] == "This widget token may only ask and read."
    session.expire_all()
    assert len(session.exec(select(Thread)).all()) == 1
    assert len(session.exec(select(Post)).all()) == 1
    assert session.get(Erratum, erratum.id).status == ErratumStatus.reported  # type: ignore[union-attr]


def test_widget_token_cannot_use_account_routes(
    widget_client: TestClient, content: dict[str, Any], token_for: Callable[..., Any]
) -> None:
    headers = token_for(content["moderator"], "widget")
    assert widget_client.get("/api/v1/users/me", headers=headers).status_code == 403
    r = widget_client.post("/api/v1/tokens", json={"name": "escalate"}, headers=headers)
    assert r.status_code == 403


def test_full_token_still_posts(
    widget_client: TestClient, content: dict[str, Any], token_for: Callable[..., Any]
) -> None:
    headers = token_for(content["moderator"])
    r = widget_client.post(
        "/api/v1/courses/dl/threads",
        json={"title": "A real question", "body": "B"},
        headers=headers,
    )
    assert r.status_code == 201, r.text


def test_revoked_widget_token_is_refused(
    widget_client: TestClient, content: dict[str, Any], token_for: Callable[..., Any]
) -> None:
    owner = token_for(content["moderator"])
    widget = token_for(content["moderator"], "widget")
    path = f"/api/v1/threads/{content['thread'].id}"
    assert widget_client.get(path, headers=widget).status_code == 200
    tokens = widget_client.get("/api/v1/tokens", headers=owner).json()["data"]
    [widget_row] = [t for t in tokens if t["scope"] == "widget"]
    revoked = widget_client.delete(f"/api/v1/tokens/{widget_row['id']}", headers=owner)
    assert revoked.status_code == 200
    r = widget_client.get(path, headers=widget)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


def test_widget_token_asks_are_rate_limited_per_token(
    widget_client: TestClient,
    content: dict[str, Any],
    token_for: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    first = token_for(content["moderator"], "widget")
    second = token_for(make_user("other_owner"), "widget")
    # An empty body is refused by validation (fast, no search), but the token's ask still counts.
    statuses = [widget_client.post("/api/v1/ask", json={}, headers=first).status_code]
    statuses.append(widget_client.post("/api/v1/ask", json={}, headers=first).status_code)
    assert 429 not in statuses
    r = widget_client.post("/api/v1/ask", json={}, headers=first)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert widget_client.post("/api/v1/ask", json={}, headers=second).status_code != 429


def test_rate_limited_ask_is_readable_by_an_allowed_widget(
    widget_client: TestClient, content: dict[str, Any], token_for: Callable[..., Any]
) -> None:
    from tests.notebook.test_cors import ALLOWED

    headers = {**token_for(content["moderator"], "widget"), "Origin": ALLOWED}
    for _ in range(2):
        widget_client.post("/api/v1/ask", json={}, headers=headers)
    r = widget_client.post("/api/v1/ask", json={}, headers=headers)
    assert r.status_code == 429
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "Retry-After" in r.headers["access-control-expose-headers"]
