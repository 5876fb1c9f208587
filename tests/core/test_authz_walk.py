"""ACCEPTANCE A1: every route declares a policy from users/policy.py (deny by default), and the
role rules there are the only ones routes use."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session


def _policies(dependant: Dependant) -> set[str]:
    found: set[str] = set()
    call: Any = dependant.call
    name = getattr(call, "__policy__", None)
    if name:
        found.add(name)
    for sub in dependant.dependencies:
        found |= _policies(sub)
    return found


def _api_routes(routes: Any) -> list[APIRoute]:
    """Every APIRoute, including those inside included routers (FastAPI wraps them lately)."""
    try:
        from fastapi.routing import _iter_routes_with_context  # type: ignore[attr-defined]
    except ImportError:  # older FastAPI: included routes are flat in app.routes
        return [r for r in routes if isinstance(r, APIRoute)]
    return [r for r, _ in _iter_routes_with_context(routes) if isinstance(r, APIRoute)]


def test_every_route_declares_a_policy(app: Any) -> None:
    offenders = []
    checked = 0
    for route in _api_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        checked += 1
        if not _policies(route.dependant):
            offenders.append(f"{sorted(route.methods)} {route.path} ({route.endpoint.__name__})")
    assert checked > 20
    assert not offenders, "routes without a declared policy:\n" + "\n".join(offenders)


@pytest.mark.nodb
def test_walk_detects_a_route_without_policy() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/open")
    def open_route() -> dict[str, str]:
        return {}

    route = next(r for r in app.routes if isinstance(r, APIRoute))
    assert _policies(route.dependant) == set()


def test_moderation_is_for_moderators_and_instructors_of_their_courses(
    client: TestClient, session: Session, make_user: Any, token_for: Any
) -> None:
    from forum.models import Course
    from users.models import CourseRole
    from users.policy import may_moderate, moderated_course_ids

    mine, theirs = Course(slug="mine", title="Mine"), Course(slug="theirs", title="Theirs")
    session.add_all([mine, theirs])
    session.commit()
    assert mine.id is not None and theirs.id is not None
    learner, instructor = make_user("learner_x"), make_user("teacher_x")
    moderator = make_user("mod_x", "moderator")
    session.add(CourseRole(user_id=instructor.id, course_id=mine.id, role="instructor"))
    session.commit()

    assert moderated_course_ids(session, moderator) is None  # every course
    assert moderated_course_ids(session, instructor) == {mine.id}
    assert moderated_course_ids(session, learner) == set()
    assert moderated_course_ids(session, None) == set()
    assert may_moderate(session, instructor, mine.id)
    assert not may_moderate(session, instructor, theirs.id)
    assert may_moderate(session, moderator, theirs.id)
    assert not may_moderate(session, learner, mine.id)

    for user, status in ((learner, 403), (instructor, 200), (moderator, 200)):
        for url in ("/api/v1/moderation/asks", "/moderation/asks", "/moderation"):
            r = client.get(url, headers=token_for(user))
            assert r.status_code == status, (url, r.text)
    r = client.get("/api/v1/moderation/asks", headers=token_for(learner))
    assert "moderators and course instructors" in r.json()["detail"]
