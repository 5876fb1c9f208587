"""Launches from a real LTI 1.3 platform (lti1p3platform) over HTTP: accounts, roles, landing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import Session, func, select

from tests.lti.conftest import launch
from tests.lti.platform import INSTRUCTOR, LEARNER, TA, Platform, Scenario


def _db() -> Session:
    from core.db import get_engine

    return Session(get_engine())


def _course_role(username_sub: str, issuer: str) -> tuple[Any, str | None]:
    from lti.models import LtiIdentity
    from users.models import CourseRole, User

    with _db() as s:
        identity = s.exec(
            select(LtiIdentity).where(
                LtiIdentity.issuer == issuer, LtiIdentity.subject == username_sub
            )
        ).one()
        user = s.get(User, identity.user_id)
        row = s.exec(select(CourseRole).where(CourseRole.user_id == identity.user_id)).first()
        return user, row.role if row else None


def test_learner_launch_lands_signed_in_on_the_mapped_assignment(platform: Platform) -> None:
    scenario = Scenario(
        user_id="lms-user-1", roles=[LEARNER], name="Ada Lovelace",
        custom={"assignment": "rnn", "notebook_version": "3b"},
    )  # fmt: skip
    with httpx.Client() as browser:
        page = launch(browser, platform, scenario)
        assert page.status_code == 200, page.text[:800]
        assert str(page.url).endswith("/courses/seq/assignments/rnn")
        assert "Building an RNN" in page.text  # the assignment, titled from the resource link
        assert "Ada Lovelace" in page.text  # signed in: the nav shows the account
        assert "Sign out" in page.text
        # The session is a normal one: the profile page opens.
        assert browser.get(platform.tool_url + "/profile").status_code == 200
    user, role = _course_role("lms-user-1", platform.issuer)
    assert role == "learner" and user.display_name == "Ada Lovelace"
    from forum.models import Assignment, Course

    with _db() as s:
        course = s.exec(select(Course)).one()
        assert (course.slug, course.title) == ("seq", "Sequence Models")
        assignment = s.exec(select(Assignment)).one()
        assert (assignment.slug, assignment.notebook_version) == ("rnn", "3b")


def test_a_second_launch_reuses_the_account_and_email_never_merges(platform: Platform) -> None:
    from lti.models import LtiIdentity
    from users.models import User

    first = Scenario(user_id="sub-A", roles=[LEARNER], name="Ada", email="ada@example.org")
    for _ in range(2):
        with httpx.Client() as browser:
            assert launch(browser, platform, first).status_code == 200
    # Another platform user claiming the same e-mail gets an account of their own.
    other = Scenario(user_id="sub-B", roles=[LEARNER], name="Mallory", email="ada@example.org")
    with httpx.Client() as browser:
        page = launch(browser, platform, other)
        assert page.status_code == 200 and "Mallory" in page.text
    with _db() as s:
        assert s.exec(select(func.count()).select_from(LtiIdentity)).one() == 2
        users = s.exec(select(User).order_by(User.id)).all()
        assert [u.display_name for u in users] == ["Ada", "Mallory"]
        assert all(u.email is None for u in users)


def test_instructor_launch_makes_the_course_instructor_and_a_later_launch_revokes(
    platform: Platform,
) -> None:
    from users.policy import is_instructor

    teacher = Scenario(user_id="t-1", roles=[INSTRUCTOR], name="Dr Patel")
    with httpx.Client() as browser:
        page = launch(browser, platform, teacher)
        assert page.status_code == 200
        assert str(page.url).endswith("/courses/seq")  # no assignment named: the course page
        assert "Moderation" in page.text  # an instructor's nav
    user, role = _course_role("t-1", platform.issuer)
    assert role == "instructor"
    with _db() as s:
        from forum.models import Course

        course = s.exec(select(Course)).one()
        assert is_instructor(s, user, course.id)
    # The next launch carries only Learner: the instructor role is gone.
    teacher.roles = [LEARNER]
    with httpx.Client() as browser:
        assert launch(browser, platform, teacher).status_code == 200
    user, role = _course_role("t-1", platform.issuer)
    assert role == "learner"
    with _db() as s:
        assert not is_instructor(s, user, course.id)


def test_teaching_assistant_is_instructor_of_that_course_only(
    platform: Platform,
) -> None:
    from forum.models import Course
    from users.policy import is_instructor

    with httpx.Client() as browser:
        launch(browser, platform, Scenario(user_id="ta-1", roles=[TA], context_id="c-1"))
        other = Scenario(
            user_id="ta-1", roles=[LEARNER], context_id="c-2", context_title="Other course",
            context_label="OTHER",
        )  # fmt: skip
        launch(browser, platform, other)
    user, _ = _course_role("ta-1", platform.issuer)
    with _db() as s:
        seq = s.exec(select(Course).where(Course.slug == "seq")).one()
        other = s.exec(select(Course).where(Course.slug == "other")).one()
        assert is_instructor(s, user, seq.id) and not is_instructor(s, user, other.id)
