"""ACCEPTANCE A1: every erratum transition as each role; only the allowed roles succeed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from errata.models import Erratum, ErratumHistory, ErratumStatus
from tests.errata.conftest import World

API = "/api/v1"

ROLES = ["anonymous", "learner", "reporter", "other_instructor", "instructor", "moderator", "admin"]
ALLOWED = {"instructor", "moderator", "admin"}
EXPECTED_REFUSAL = {"anonymous": 401, "learner": 403, "reporter": 403, "other_instructor": 403}

# action → (status it starts from, body, status it ends in)
TRANSITIONS = {
    "verify": (ErratumStatus.reported, {"reason": "Confirmed."}, "verified"),
    "reject": (ErratumStatus.reported, {"reason": "Works as intended."}, "rejected"),
    "duplicate": (ErratumStatus.reported, {"duplicate_of": None}, "duplicate"),
    "fix": (ErratumStatus.verified, {"fixed_in": "3a"}, "fixed"),
}


def _headers(role: str, world: World, token_for: Any) -> dict[str, str]:
    user = {
        "anonymous": None,
        "learner": world.other_learner,
        "reporter": world.learner,
        "other_instructor": world.other_instructor,
        "instructor": world.instructor,
        "moderator": world.moderator,
        "admin": world.admin,
    }[role]
    return token_for(user) if user is not None else {}


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("role", ROLES)
def test_transition_allowed_only_for_moderators_and_course_instructors(
    client: TestClient,
    world: World,
    token_for: Any,
    session: Session,
    report: Any,
    action: str,
    role: str,
) -> None:
    start, body, end = TRANSITIONS[action]
    original = report(title="the original")
    erratum = report()
    if start != ErratumStatus.reported:
        erratum.status = start
        session.add(erratum)
        session.commit()
    if action == "duplicate":
        body = {"duplicate_of": original.id}
    r = client.post(
        f"{API}/errata/{erratum.id}/{action}", json=body, headers=_headers(role, world, token_for)
    )
    session.expire_all()
    stored = session.get(Erratum, erratum.id)
    assert stored is not None
    history = session.exec(
        select(ErratumHistory).where(ErratumHistory.erratum_id == erratum.id)
    ).all()
    if role in ALLOWED:
        assert r.status_code == 200, r.text
        assert stored.status == end
        assert len(history) == 2
    else:
        assert r.status_code == EXPECTED_REFUSAL[role], r.text
        assert r.json()["detail"]
        assert stored.status == start
        assert len(history) == 1


@pytest.mark.parametrize("role", ROLES)
def test_moderation_queue_shows_only_courses_the_user_moderates(
    client: TestClient, world: World, token_for: Any, session: Session, report: Any, role: str
) -> None:
    report()
    r = client.get(f"{API}/moderation/errata", headers=_headers(role, world, token_for))
    if role == "anonymous":
        assert r.status_code == 401
        return
    assert r.status_code == 200
    assert r.json()["count"] == (1 if role in ALLOWED else 0)


def test_export_jsonl_is_for_the_course_moderators(
    client: TestClient, world: World, token_for: Any, report: Any
) -> None:
    report()
    url = f"{API}/courses/{world.course.slug}/errata.jsonl"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=token_for(world.learner)).status_code == 403
    assert client.get(url, headers=token_for(world.other_instructor)).status_code == 403
    r = client.get(url, headers=token_for(world.instructor))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert '"type": "erratum"' in r.text
