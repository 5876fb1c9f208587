"""Mail fixtures: a real SMTP server on loopback, a course with an assignment, followers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session

from core.settings import Settings, get_settings
from forum.models import Assignment, Course
from notify import service as notify_service
from notify.models import Delivery, FollowKind
from tests.notify.smtp_sink import SmtpSink
from users.models import CourseRole, User


@pytest.fixture()
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture()
def mail_settings(test_env: dict[str, str], sink: SmtpSink) -> Settings:
    """The run's settings, sending to the sink; retries due after 1 s (tests move the clock)."""
    return get_settings().model_copy(
        update={"smtp_url": sink.url, "mail_retry_base_seconds": 1.0, "mail_batch": 100}
    )


@pytest.fixture(autouse=True)
def _in_app_wired() -> None:
    from app.mail import wire

    wire()


@dataclass
class Place:
    course: Course
    assignment: Assignment
    other_assignment: Assignment
    moderator: User
    instructor: User


@pytest.fixture()
def place(session: Session, make_user: Callable[..., Any]) -> Place:
    course = Course(slug="sequence-models", title="Sequence Models")
    session.add(course)
    session.commit()
    a1 = Assignment(course_id=course.id, slug="rnn", title="Building your RNN", position=1)
    a2 = Assignment(course_id=course.id, slug="lstm", title="LSTM step by step", position=2)
    session.add_all([a1, a2])
    session.commit()
    instructor = make_user("instructor_x")
    session.add(CourseRole(user_id=instructor.id, course_id=course.id, role="instructor"))
    session.commit()
    return Place(course, a1, a2, make_user("moderator_x", "moderator"), instructor)


@pytest.fixture()
def follower(session: Session, make_user: Callable[..., Any]) -> Callable[..., User]:
    """A user following ``target`` (an assignment by default) with a delivery and address."""

    def make(
        target: Assignment | Course,
        delivery: Delivery = Delivery.immediate,
        email: bool = True,
        name: str | None = None,
    ) -> User:
        user = make_user(name)
        if email:
            user.email = f"{user.username}@example.org"
            session.add(user)
            session.commit()
        kind = FollowKind.assignment if isinstance(target, Assignment) else FollowKind.course
        notify_service.follow(session=session, user_id=user.id, kind=kind, target_id=target.id)
        notify_service.set_preferences(session=session, user_id=user.id, choices={kind: delivery})
        return user

    return make


@pytest.fixture()
def many_followers(session: Session) -> Callable[[Assignment, int], list[User]]:
    """``n`` users with addresses following an assignment (mail at once), inserted in bulk:
    hashing a password per user would dominate the test."""
    from sqlalchemy import insert

    from notify.models import Subscription

    def make(assignment: Assignment, n: int) -> list[User]:
        names = [f"fan{i:05d}" for i in range(n)]
        users = [User(username=x, email=f"{x}@example.org", username_key=x) for x in names]
        session.add_all(users)
        session.commit()
        kind, target = FollowKind.assignment, assignment.id
        rows = [{"user_id": u.id, "kind": kind, "target_id": target} for u in users]
        session.execute(insert(Subscription), rows)
        session.commit()
        return users

    return make
