"""Forum fixtures: two courses, users of every role, and helpers to post through the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from core.clock import utcnow
from forum.models import Assignment, Course
from users.models import CourseRole, User


@dataclass
class World:
    course: Course
    other: Course
    a1: Assignment
    a2: Assignment
    other_a1: Assignment
    users: dict[str, User]
    headers: dict[str, dict[str, str]]


@pytest.fixture()
def world(session: Session, make_user: Callable[..., Any], token_for: Callable[..., Any]) -> World:
    course = Course(slug="dl", title="Deep Learning", description="Neural networks.")
    other = Course(slug="seq", title="Sequence Models")
    session.add_all([course, other])
    session.flush()
    assert course.id and other.id
    a1 = Assignment(course_id=course.id, slug="a1", title="Logistic regression", position=1)
    a2 = Assignment(course_id=course.id, slug="a2", title="Deep nets", notebook_version="3a")
    other_a1 = Assignment(course_id=other.id, slug="rnn", title="Building an RNN", position=1)
    session.add_all([a1, a2, other_a1])
    session.commit()
    roles = {
        "alice": "learner",
        "bob": "learner",
        "teacher": "learner",
        "stranger": "learner",
        "mod": "moderator",
        "root": "admin",
    }
    users = {name: make_user(name, role) for name, role in roles.items()}
    # Established accounts: the new-account posting limit is tested on its own.
    for u in users.values():
        u.created_at = utcnow() - timedelta(days=30)
        session.add(u)
    session.add(CourseRole(user_id=users["teacher"].id, course_id=course.id))
    session.add(CourseRole(user_id=users["stranger"].id, course_id=other.id))
    session.commit()
    headers = {name: token_for(u) for name, u in users.items()}
    return World(course, other, a1, a2, other_a1, users, headers)


def ask(
    client: TestClient,
    headers: dict[str, str],
    *,
    title: str = "AssertionError in rnn_forward",
    body: str = "```\nAssertionError: Wrong values in a_next\n```",
    course: str = "dl",
    assignment: str | None = "a1",
) -> dict[str, Any]:
    payload: dict[str, Any] = {"title": title, "body": body}
    if assignment:
        payload["assignment"] = assignment
    r = client.post(f"/api/v1/courses/{course}/threads", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def reply(
    client: TestClient, headers: dict[str, str], thread_id: int, body: str = "Try np.tanh"
) -> dict[str, Any]:
    r = client.post(f"/api/v1/threads/{thread_id}/replies", json={"body": body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture()
def indexed(session: Session) -> Iterator[Any]:
    """The real search index, rebuilt from this test's database (call ``sync()`` after writes)."""
    from app.indexing import register_loaders
    from index.runtime import get_runtime

    register_loaders()
    runtime = get_runtime()
    runtime.rebuild_now()
    yield runtime
    runtime.reset()
