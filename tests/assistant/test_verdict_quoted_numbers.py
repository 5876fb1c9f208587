"""A number the learner writes in their question is evidence only when it is theirs (issue #13).

"I get 2.0424567983978403" equals the corrected output: the notebook is wrong. "Expected
2.0424567983978403 but mine is 1.7" quotes the notebook: nothing says the notebook is wrong.
With the real model and index.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.assistant.conftest import World

pytestmark = pytest.mark.model
NOTEBOOK_WRONG = {"known_erratum", "output_matches_correction"}
CORRECT = "2.0424567983978403"


@pytest.fixture()
def cost_erratum(session: Session, world: World) -> int:
    from errata.models import Erratum, ErratumStatus

    staff_id = session.exec(select(Erratum.reporter_id)).first()  # the world's moderator
    assert staff_id is not None
    e = Erratum(
        course_id=world.course_id, assignment_id=world.assignment_id, reporter_id=staff_id,
        external_id="e-cost", status=ErratumStatus.fixed, fixed_in="5", location="propagate",
        title="propagate(): expected cost printed as 5.80154532 but the test checks the new one",
        description="The printed cost came from an older initialisation.",
        published_output="cost = 5.80154532", corrected_output=f"cost = {CORRECT}",
    )  # fmt: skip
    session.add(e)
    session.commit()
    assert e.id is not None
    return e.id


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/ask", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_number_the_learner_gets_equal_to_the_correction_is_declared(
    client: TestClient, cost_erratum: int
) -> None:
    data = _ask(client, question=f"Is the expected cost under propagate wrong? I get {CORRECT}")
    assert data["verdict"] == "output_matches_correction", data["answer"]
    assert data["sources"][0]["external_id"] == "e-cost"


def test_a_number_quoted_as_the_expected_one_is_not_evidence(
    client: TestClient, cost_erratum: int
) -> None:
    question = f"propagate: the expected cost is {CORRECT} but mine is 1.7, what is wrong?"
    data = _ask(client, question=question, course="dl-seq")
    assert data["verdict"] != "output_matches_correction", data["answer"]


def test_a_version_that_prints_the_correction_is_not_told_the_notebook_is_wrong(
    client: TestClient, cost_erratum: int
) -> None:
    # In version 5 the notebook itself prints the corrected value: quoting it proves nothing.
    data = _ask(client, question=f"propagate cost: I get {CORRECT}", notebook_version="5")
    assert data["verdict"] != "output_matches_correction", data["answer"]
