"""GET /api/v1/courses/{course}/assignments/{assignment}/known-errata: what the banner lists."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

API = "/api/v1/courses/dl/assignments/rnn/known-errata"


@pytest.fixture()
def errata(session: Session, make_user: Any) -> dict[str, Any]:
    """Assignment dl/rnn (current version 4): verified (v2 only), fixed in 3 (v2, v3 affected),
    reported, rejected; and an erratum of another assignment."""
    from errata import service
    from errata.models import ErratumStatus as S
    from errata.schemas import ErratumCreate
    from forum.models import Assignment, Course

    course = Course(slug="dl", title="Deep Learning")
    session.add(course)
    session.commit()
    session.add_all(
        [
            Assignment(course_id=course.id, slug="rnn", title="RNN", notebook_version="4"),
            Assignment(course_id=course.id, slug="lstm", title="LSTM"),
        ]
    )
    session.commit()
    learner, moderator = make_user("learner_k"), make_user("mod_k", "moderator")

    def make(title: str, status: S | None, assignment: str = "rnn", **fields: Any) -> Any:
        e = service.report(
            session=session,
            user=learner,
            data=ErratumCreate(course="dl", assignment=assignment, title=title, **fields),
        )
        if status is not None:
            to = S.verified if status == S.fixed else status
            service.transition(
                session=session, user=moderator, erratum_id=e.id, to_status=to, reason="Checked."
            )
        if status == S.fixed:
            service.transition(
                session=session,
                user=moderator,
                erratum_id=e.id,
                to_status=S.fixed,
                fixed_in="3",
                reason="New seed.",
            )
        return e

    return {
        "learner": learner,
        "verified": make(
            "rnn_cell_forward: expected a_next is wrong",
            S.verified,
            location="rnn_cell_forward",
            affected_versions="2",
            workaround="Ignore the check.\nThe corrected values are in the erratum.",
        ),
        "fixed": make(
            "rnn_forward test uses the old seed",
            S.fixed,
            location="rnn_forward_test",
            affected_versions="2, 3",
        ),
        "reported": make("rnn_backward might be off", None),
        "rejected": make("my gradient is wrong", S.rejected),
        "other": make("lstm_forward expected output", S.verified, assignment="lstm"),
    }


def _titles(r: Any) -> list[str]:
    return [e["title"] for e in r.json()["data"]]


def test_known_errata_lists_verified_and_fixed_for_the_version(
    client: TestClient, errata: dict[str, Any]
) -> None:
    r = client.get(API, params={"version": "2"})
    assert r.status_code == 200
    body = r.json()
    assert (body["course"], body["assignment"], body["version"]) == ("dl", "rnn", "2")
    assert body["current_version"] == "4"
    assert _titles(r) == [
        "rnn_cell_forward: expected a_next is wrong",
        "rnn_forward test uses the old seed",
    ]
    verified, fixed = body["data"]
    assert verified["location"] == "rnn_cell_forward"
    assert verified["workaround"] == "Ignore the check."
    assert verified["url"] == f"/errata/{errata['verified'].id}"
    assert verified["fixed_in"] is None and verified["fixed_in_your_version"] is False
    # Version 2 still has the mistake; version 3 fixes it.
    assert fixed["status"] == "fixed"
    assert fixed["fixed_in"] == "3" and fixed["fixed_in_your_version"] is False


def test_known_errata_says_the_fix_is_in_a_later_version(
    client: TestClient, errata: dict[str, Any]
) -> None:
    for version in ("3", "3a", "10"):
        r = client.get(API, params={"version": version})
        assert _titles(r) == ["rnn_forward test uses the old seed"], version
        [fixed] = r.json()["data"]
        assert fixed["fixed_in"] == "3" and fixed["fixed_in_your_version"] is True


def test_known_errata_without_version_lists_all_known(
    client: TestClient, errata: dict[str, Any]
) -> None:
    r = client.get(API)
    assert r.json()["count"] == 2
    assert r.json()["version"] is None


def test_known_errata_empty_for_an_assignment_without_any(
    client: TestClient, session: Session, errata: dict[str, Any]
) -> None:
    from forum.models import Assignment

    session.add(Assignment(course_id=errata["other"].course_id, slug="gru", title="GRU"))
    session.commit()
    r = client.get("/api/v1/courses/dl/assignments/gru/known-errata", params={"version": "1"})
    assert r.status_code == 200
    assert r.json()["data"] == [] and r.json()["count"] == 0


def test_known_errata_etag_gives_304_until_an_erratum_changes(
    client: TestClient, session: Session, make_user: Any, errata: dict[str, Any]
) -> None:
    from errata import service
    from errata.models import ErratumStatus

    first = client.get(API, params={"version": "2"})
    tag = first.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=60"
    again = client.get(API, params={"version": "2"}, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    listed = client.get(API, params={"version": "2"}, headers={"If-None-Match": f'"x", W/{tag}'})
    assert listed.status_code == 304
    # Another version is another answer.
    other = client.get(API, params={"version": "3"}, headers={"If-None-Match": tag})
    assert other.status_code == 200
    # The verified erratum gets fixed: the old tag no longer matches.
    service.transition(
        session=session,
        user=make_user("mod_k2", "moderator"),
        erratum_id=errata["verified"].id,
        to_status=ErratumStatus.fixed,
        fixed_in="3",
        reason="Fixed.",
    )
    changed = client.get(API, params={"version": "2"}, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    assert all(e["fixed_in"] == "3" for e in changed.json()["data"])


def test_known_errata_is_public_to_anonymous_and_widget_tokens(
    client: TestClient, errata: dict[str, Any], token_for: Any
) -> None:
    assert client.get(API, params={"version": "2"}).json()["count"] == 2
    headers = token_for(errata["learner"], "widget")
    r = client.get(API, params={"version": "2"}, headers=headers)
    assert r.status_code == 200 and r.json()["count"] == 2


def test_known_errata_unknown_course_or_assignment_is_404_with_message(
    client: TestClient, errata: dict[str, Any]
) -> None:
    r = client.get("/api/v1/courses/nope/assignments/rnn/known-errata", params={"version": "2"})
    assert r.status_code == 404
    assert r.json()["detail"] == "There is no course 'nope'; check the course name."
    r = client.get("/api/v1/courses/dl/assignments/nope/known-errata", params={"version": "2"})
    assert r.status_code == 404
    assert r.json()["detail"] == "The course 'dl' has no assignment 'nope'."


@pytest.mark.parametrize("version", ["", "3 a", "x" * 21, "<script>", "-1"])
def test_known_errata_bad_version_is_422(
    client: TestClient, errata: dict[str, Any], version: str
) -> None:
    r = client.get(API, params={"version": version})
    assert r.status_code == 422
    assert "version" in str(r.json()["detail"])


def test_known_errata_reads_a_version_as_the_assistant_does(
    client: TestClient, errata: dict[str, Any]
) -> None:
    # "V2" is version 2 and "3A" is after 3 (errata.versions, also the assistant's rule): the
    # banner and the assistant never disagree on whether a learner's notebook has the mistake.
    as_written = _titles(client.get(API, params={"version": "V2"}))
    assert as_written == _titles(client.get(API, params={"version": "2"}))
    assert as_written == [
        "rnn_cell_forward: expected a_next is wrong",
        "rnn_forward test uses the old seed",
    ]
    [fixed] = client.get(API, params={"version": "3A"}).json()["data"]
    assert fixed["fixed_in_your_version"] is True
