"""Issue #17: a thread private to its author and the course's staff can be cited by Ask for
them, and for no one else (classmates, staff of another course, signed-out askers, widgets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from core.clock import utcnow

API = "/api/v1"
QUESTION = "ValueError: operands could not be broadcast together in zorblax_forward"


@pytest.fixture()
def private_world(
    session: Session,
    client: TestClient,
    make_user: Callable[..., Any],
    token_for: Callable[..., Any],
) -> Iterator[dict[str, Any]]:
    """Two courses; alice posts a private thread (her full solution) and bob a public one,
    both about the same function; the index is built for real."""
    from app.indexing import register_loaders
    from forum.models import Assignment, Course
    from index.runtime import get_runtime
    from users.models import CourseRole

    course = Course(slug="ml", title="Machine Learning")
    other = Course(slug="cv", title="Computer Vision")
    session.add_all([course, other])
    session.flush()
    assert course.id and other.id
    session.add(Assignment(course_id=course.id, slug="hw1", title="Homework 1"))
    session.commit()
    roles = {"alice": "learner", "bob": "learner", "teacher": "learner",
             "elsewhere": "learner", "mod": "moderator"}  # fmt: skip
    users = {name: make_user(name, role) for name, role in roles.items()}
    for u in users.values():  # established accounts (the new-account limit is not tested here)
        u.created_at = utcnow() - timedelta(days=30)
        session.add(u)
    session.add(CourseRole(user_id=users["teacher"].id, course_id=course.id, role="instructor"))
    session.add(CourseRole(user_id=users["elsewhere"].id, course_id=other.id, role="instructor"))
    session.commit()
    headers = {name: token_for(u) for name, u in users.items()}

    def post(who: str, **body: Any) -> int:
        r = client.post(f"{API}/courses/ml/threads", headers=headers[who], json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["thread"]["id"])

    private_id = post(
        "alice", private=True, assignment="hw1",
        title="ValueError operands could not be broadcast in zorblax_forward, my full code",
        body=f"```\n{QUESTION}\n```\nHere is my whole zorblax_forward, is the transpose wrong?",
    )  # fmt: skip
    public_id = post(
        "bob", assignment="hw1", title="How many epochs does the training cell run?",
        body="The training cell seems slow, how many epochs should it take?",
    )  # fmt: skip
    register_loaders()
    runtime = get_runtime()
    runtime.rebuild_now()
    yield {"private": private_id, "public": public_id, "headers": headers,
           "widget": token_for(users["teacher"], "widget")}  # fmt: skip
    runtime.reset()


def _cited(client: TestClient, headers: dict[str, str] | None) -> set[int]:
    r = client.post(f"{API}/ask", headers=headers or {},
                    json={"question": QUESTION, "course": "ml"})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    return {s["id"] for s in body["sources"] if s["type"] in ("thread", "post")}


def test_private_thread_is_cited_for_its_author_and_the_course_staff(
    client: TestClient, private_world: dict[str, Any]
) -> None:
    h, tid = private_world["headers"], private_world["private"]
    for who in ("alice", "teacher", "mod"):
        assert tid in _cited(client, h[who]), who


def test_private_thread_is_never_cited_for_anyone_else(
    client: TestClient, private_world: dict[str, Any]
) -> None:
    h, tid = private_world["headers"], private_world["private"]
    for who in ("bob", "elsewhere"):
        assert tid not in _cited(client, h[who]), who
    # Signed out, and through a widget token (it speaks for a page, even a teacher's).
    assert tid not in _cited(client, None)
    assert tid not in _cited(client, private_world["widget"])
