"""Edits, votes and searches are rate-limited per user (per IP when anonymous), issue #11.

Each edit re-embeds the text and each search encodes a query: without a limit one client can
keep a worker busy. A refusal is a 429 with Retry-After, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from forum.models import Course, Post, Vote

API = "/api/v1"


@pytest.fixture()
def question(session: Session, make_user: Callable[..., Any]) -> tuple[Any, Post]:
    from forum import service as forum_service

    author = make_user("author")
    course = Course(slug="limits", title="Limits")
    session.add(course)
    session.commit()
    thread = forum_service.create_thread(
        session=session, user=author, course=course, title="Why is a_next off?", body="Body 0"
    )
    post = session.exec(select(Post).where(Post.thread_id == thread.id)).one()
    return author, post


def _limit(monkeypatch: pytest.MonkeyPatch, **rates: str) -> None:
    from core.settings import get_settings

    for name, value in rates.items():
        monkeypatch.setattr(get_settings(), name, value)


def _refused(r: Any) -> None:
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1


def test_edits_are_limited_per_user(
    client: TestClient,
    session: Session,
    question: tuple[Any, Post],
    token_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(monkeypatch, rate_edit="2/60")
    author, post = question
    headers = token_for(author)
    for n in (1, 2):
        r = client.patch(f"{API}/posts/{post.id}", json={"body": f"Body {n}"}, headers=headers)
        assert r.status_code == 200, r.text
    r = client.patch(f"{API}/posts/{post.id}", json={"body": "Body 3"}, headers=headers)
    _refused(r)
    assert "Too many edits" in r.json()["detail"]
    session.expire_all()
    stored = session.get(Post, post.id)
    assert stored is not None and stored.body == "Body 2"


def test_votes_are_limited_per_user(
    client: TestClient,
    session: Session,
    question: tuple[Any, Post],
    make_user: Callable[..., Any],
    token_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(monkeypatch, rate_vote="2/60")
    _, post = question
    voter = token_for(make_user("voter"))
    url = f"{API}/posts/{post.id}/vote"
    assert client.put(url, json={"value": 1}, headers=voter).status_code == 200
    assert client.delete(url, headers=voter).status_code == 200
    _refused(client.put(url, json={"value": 1}, headers=voter))
    session.expire_all()
    assert session.exec(select(Vote)).all() == []
    # Another user's budget is their own.
    other = token_for(make_user("other_voter"))
    assert client.put(url, json={"value": 1}, headers=other).status_code == 200


@pytest.mark.parametrize("path", ["/search?q=a_next", "/similar?title=a_next+is+off"])
def test_anonymous_searches_are_limited_per_ip(
    client: TestClient, db: None, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    _limit(monkeypatch, rate_search="2/60")
    for _ in range(2):
        assert client.get(API + path).status_code != 429
    r = client.get(API + path)
    _refused(r)
    assert "Too many searches" in r.json()["detail"]


def test_search_page_shares_the_per_ip_search_budget(
    client: TestClient, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, rate_search="2/60")
    assert client.get("/search", params={"q": "rnn_forward"}).status_code != 429
    assert client.get(API + "/search", params={"q": "rnn_forward"}).status_code != 429
    r = client.get("/search", params={"q": "lstm"}, headers={"accept": "text/html"})
    assert r.status_code == 429
    assert r.headers.get("retry-after")
    assert "Too many searches" in r.text
    # Opening the empty search page is not a search.
    assert client.get("/search").status_code == 200
