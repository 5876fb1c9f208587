"""Launching an assignment from the course platform follows it (issue #15)."""

from __future__ import annotations

import httpx
from sqlmodel import Session, select

from tests.lti.conftest import launch
from tests.lti.platform import INSTRUCTOR, LEARNER, Platform, Scenario


def _follows() -> list[tuple[str, str]]:
    from core.db import get_engine
    from forum.models import Assignment
    from lti.models import LtiIdentity
    from notify.models import FollowKind, Subscription

    with Session(get_engine()) as s:
        rows = s.exec(
            select(LtiIdentity.subject, Assignment.slug)
            .join(Subscription, Subscription.user_id == LtiIdentity.user_id)
            .join(Assignment, Assignment.id == Subscription.target_id)
            .where(Subscription.kind == FollowKind.assignment)
        ).all()
        return sorted((str(a), str(b)) for a, b in rows)


def test_learner_launch_follows_the_assignment_once_instructor_does_not(
    platform: Platform,
) -> None:
    learner = Scenario(user_id="sub-learner", roles=[LEARNER], custom={"assignment": "rnn"})
    teacher = Scenario(user_id="sub-teacher", roles=[INSTRUCTOR], custom={"assignment": "rnn"})
    for scenario in (learner, learner, teacher):  # a second launch changes nothing
        with httpx.Client() as browser:
            assert launch(browser, platform, scenario).status_code == 200
    assert _follows() == [("sub-learner", "rnn")]


def test_course_launch_without_an_assignment_follows_nothing(platform: Platform) -> None:
    with httpx.Client() as browser:
        page = launch(browser, platform, Scenario(user_id="sub-1", roles=[LEARNER]))
        assert page.status_code == 200
    assert _follows() == []
