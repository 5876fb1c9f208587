"""An output equal to another course's correction is no evidence about this learner's notebook.

Many notebooks print the same number: the first cost of a logistic regression with zero weights
is ln 2 = 0.6931471805599453 in every course that has one. When the learner names no course, the
erratum outputs compared with theirs are those of the courses their question found, so a
learner of one course is never told "your output matches the corrected output" of an erratum in
another. With the real model and index.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.assistant.conftest import World

pytestmark = pytest.mark.model
LN2 = "0.6931471805599453"


@pytest.fixture()
def two_courses(session: Session, world: World) -> World:
    """The world's course (dl-seq) gets an erratum whose corrected output is ln 2; a second
    course (ml-intro) has threads about its own logistic regression cost."""
    from errata.models import Erratum, ErratumStatus
    from forum.models import Assignment, Course, Post, Thread
    from index.runtime import get_runtime

    staff_id = session.exec(select(Erratum.reporter_id)).first()  # the world's moderator
    assert staff_id is not None
    session.add(
        Erratum(
            course_id=world.course_id,
            assignment_id=world.assignment_id,
            reporter_id=staff_id,
            external_id="e-rnn-loss",
            status=ErratumStatus.verified,
            location="rnn_loss",
            title="rnn_loss: expected loss for the two-class toy batch printed as 0.5",
            description="The loss printed under rnn_loss came from a rounded softmax.",
            published_output="loss = 0.5",
            corrected_output=f"loss = {LN2}",
        )  # fmt: skip
    )
    other = Course(slug="ml-intro", title="Introduction to Machine Learning")
    session.add(other)
    session.flush()
    assert other.id is not None
    lab = Assignment(course_id=other.id, slug="logistic", title="Logistic regression lab")
    session.add(lab)
    session.flush()
    assert lab.id is not None
    for i, (title, body) in enumerate(
        [
            ("logistic regression compute_cost with zero weights",
             "compute_cost_logistic with w = zeros and b = 0: is the printed cost right?"),
            ("compute_cost_logistic returns nan",
             "My logistic regression cost is nan when the sigmoid saturates."),
            ("gradient of the logistic regression cost",
             "compute_gradient_logistic: dj_dw has the wrong shape."),
        ]
    ):  # fmt: skip
        t = Thread(course_id=other.id, assignment_id=lab.id, author_id=staff_id, title=title,
                   external_id=f"t-logistic-{i}")  # fmt: skip
        session.add(t)
        session.flush()
        assert t.id is not None
        session.add(Post(thread_id=t.id, author_id=staff_id, is_question=True, body=body))
    session.commit()
    get_runtime().rebuild_now()
    return world


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/ask", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_another_courses_correction_is_not_declared(client: TestClient, two_courses: World) -> None:
    data = _ask(
        client,
        question="logistic regression compute_cost_logistic with zero weights and b = 0: "
        "is my cost right?",
        output=f"cost = {LN2}",
    )
    assert data["verdict"] != "output_matches_correction", data["answer"]
    assert "e-rnn-loss" not in [s["external_id"] for s in data["sources"]]


def test_the_same_output_asked_about_that_course_is_declared(
    client: TestClient, two_courses: World
) -> None:
    data = _ask(client, question="rnn_loss: my loss is not the printed one", output=f"loss = {LN2}")
    assert data["verdict"] == "output_matches_correction", data["answer"]
    assert data["sources"][0]["external_id"] == "e-rnn-loss"
