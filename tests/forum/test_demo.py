"""The demo programme loads through the services and can be browsed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from core.security import verify_password
from forum import demo
from forum.models import Assignment, Course, Post, Thread
from index.events import IndexEvent
from users.models import CourseRole, User


def test_demo_loads_courses_people_and_threads(client: TestClient, session: Session) -> None:
    demo.load(session)
    assert session.exec(select(func.count(col(Course.id)))).one() == 5
    per_course = session.exec(
        select(Assignment.course_id, func.count(col(Assignment.id))).group_by(
            col(Assignment.course_id)
        )
    ).all()
    assert all(3 <= n <= 5 for _, n in per_course)
    threads = session.exec(select(Thread)).all()
    assert len(threads) >= 25
    assert sum(1 for t in threads if t.accepted_post_id) >= 15
    assert session.exec(select(Post).where(col(Post.endorsed_by_id).is_not(None))).first()
    assert session.exec(select(func.count(col(CourseRole.id)))).one() == 5
    # Index events were written for every thread and reply.
    events = session.exec(select(IndexEvent.doc_type, IndexEvent.doc_id)).all()
    assert {("thread", t.id) for t in threads} <= set(events)
    for username, _, role, _ in demo.DEMO_ACCOUNTS:
        user = session.exec(select(User).where(User.username == username)).one()
        assert user.role.value == role
        assert verify_password(demo.DEMO_PASSWORD, user.password_hash)
    # The showcase thread renders with its traceback in a code block.
    rnn = next(t for t in threads if "Wrong values in a_next" in t.title)
    page = client.get(f"/threads/{rnn.id}").text
    assert "<pre><code>" in page and "AssertionError: Wrong values in a_next" in page
    assert "✓ accepted answer" in page and "endorsed by" in page
    assert client.get("/").status_code == 200


def test_demo_accounts_can_sign_in(client: TestClient, session: Session) -> None:
    demo.load(session)
    r = client.post("/api/v1/auth/login", json={"username": "ada", "password": demo.DEMO_PASSWORD})
    assert r.status_code == 200
