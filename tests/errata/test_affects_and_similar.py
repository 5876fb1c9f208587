""" "Affects me too" (one per user, a toggle) and duplicate suggestions while reporting."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from errata import service
from errata.models import ErratumStatus
from forum.models import Assignment, Course
from tests.errata.conftest import World

API = "/api/v1"


def test_affects_toggle_is_one_per_user_and_keeps_the_count(
    client: TestClient, world: World, report: Any, token_for: Any
) -> None:
    e = report()
    a, b = token_for(world.other_learner), token_for(world.instructor)
    r = client.post(f"{API}/errata/{e.id}/affects", headers=a)
    assert r.json() == {"affects_me": True, "affects_count": 1}
    r = client.post(f"{API}/errata/{e.id}/affects", headers=b)
    assert r.json() == {"affects_me": True, "affects_count": 2}
    r = client.post(f"{API}/errata/{e.id}/affects", headers=a)
    assert r.json() == {"affects_me": False, "affects_count": 1}
    detail = client.get(f"{API}/errata/{e.id}", headers=b).json()
    assert detail["affects_count"] == 1 and detail["affects_me"] is True
    assert client.post(f"{API}/errata/{e.id}/affects").status_code == 401
    assert client.post(f"{API}/errata/999/affects", headers=a).status_code == 404


@pytest.mark.model
def test_similar_finds_the_same_function_first(
    client: TestClient, session: Session, world: World, report: Any, index_runtime: Any
) -> None:
    lstm = report(
        title="lstm_forward expected output a[4][3][6] is wrong",
        location="lstm_forward",
        description="The LSTM forward pass prints a different hidden state.",
    )
    report(title="conv_forward Z mean is wrong", location="conv_forward", description="CNN")
    rnn = report(title="rnn_forward a_next[4][1] differs", location="rnn_forward")
    service.transition(
        session=session, user=world.moderator, erratum_id=rnn.id, to_status=ErratumStatus.verified
    )
    r = client.get(
        f"{API}/errata/similar",
        params={"course": world.course.slug, "title": "my lstm_forward output is off"},
    )
    assert r.status_code == 200
    ids = [s["id"] for s in r.json()["data"]]
    assert ids[0] == lstm.id
    r = client.get(
        f"{API}/errata/similar",
        params={"course": world.course.slug, "title": "rnn forward", "q": "a_next wrong"},
    )
    assert r.json()["data"][0]["id"] == rnn.id
    r = client.get(f"{API}/errata/similar", params={"course": world.course.slug, "title": "the a"})
    assert r.json()["data"] == []


@pytest.mark.model
def test_similar_skips_rejected_and_other_courses(
    session: Session, world: World, report: Any, index_runtime: Any
) -> None:
    rejected = report(title="lstm_forward output is wrong")
    service.transition(
        session=session,
        user=world.moderator,
        erratum_id=rejected.id,
        to_status=ErratumStatus.rejected,
        reason="Not a bug.",
    )
    assert world.course.id is not None and world.other_course.id is not None
    assert _similar(session, world.course, None, "lstm_forward") == []
    report(title="lstm_forward again")
    assert _similar(session, world.other_course, None, "lstm_forward") == []


def _similar(
    session: Session, course: Course, assignment: Assignment | None, title: str
) -> list[int]:
    assert course.id is not None
    found = service.suggest_similar(
        session=session, course_id=course.id, title=title,
        assignment_id=assignment.id if assignment else None,
    )  # fmt: skip
    return [e.id for e, _ in found if e.id is not None]


@pytest.mark.model
def test_similar_is_scoped_to_the_reports_assignment(
    session: Session, world: World, report: Any, index_runtime: Any
) -> None:
    other = Assignment(course_id=world.course.id, slug="dinosaur-island", title="Dinosaur Island")
    session.add(other)
    session.commit()
    here = report(title="rnn_forward a_next[4][1] is wrong", location="rnn_forward")
    there = report(
        title="rnn_forward sampling gives wrong names", location="rnn_forward",
        assignment=other.slug,
    )  # fmt: skip
    assert _similar(session, world.course, world.assignment, "rnn_forward is wrong") == [here.id]
    assert _similar(session, world.course, other, "rnn_forward is wrong") == [there.id]
    assert set(_similar(session, world.course, None, "rnn_forward is wrong")) == {here.id, there.id}


@pytest.mark.model
def test_similar_finds_a_report_worded_differently(
    session: Session, world: World, report: Any, index_runtime: Any
) -> None:
    # No word in common: only the index's meaning side (production's path) can find it.
    lstm = report(
        title="LSTM hidden state printed by the test is incorrect",
        location="lstm_forward", description="The expected hidden state values are off.",
    )  # fmt: skip
    found = _similar(
        session,
        world.course,
        world.assignment,
        "long short-term memory gives different numbers",
    )
    assert found[:1] == [lstm.id]


def test_known_errata_puts_verified_before_fixed_in_current_version(
    session: Session, world: World, report: Any
) -> None:
    fixed_now, fixed_old, verified = report(), report(), report()
    for e, version in ((fixed_now, "3a"), (fixed_old, "2")):
        service.transition(
            session=session, user=world.moderator, erratum_id=e.id, to_status=ErratumStatus.verified
        )
        service.transition(
            session=session,
            user=world.moderator,
            erratum_id=e.id,
            to_status=ErratumStatus.fixed,
            fixed_in=version,
        )
    service.transition(
        session=session,
        user=world.moderator,
        erratum_id=verified.id,
        to_status=ErratumStatus.verified,
    )
    report()  # pending: never in the banner
    assert world.course.id is not None
    rows = service.known_errata(
        session=session, course_id=world.course.id, assignment_id=world.assignment.id
    )
    assert [e.id for e in rows] == [verified.id, fixed_old.id, fixed_now.id]
