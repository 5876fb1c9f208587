"""A misspelt question is read with the course's own words (issue #13), on the real database:
the vocabulary is learned from the course's threads, and an ask over HTTP finds the thread."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.assistant.conftest import World, _thread, world_staff

SPELT = "rnn forward: the shapes are not aligned when multiplying the input"
MISSPELT = "rnn forward: the shapes are not aligend when multipyling the input"


def _prose(session: Session, question: str) -> set[str]:
    from assistant import service
    from assistant.intake import validate
    from assistant.schemas import AskRequest

    request = validate(AskRequest(question=question, course="dl-seq"))
    return service.candidates(session, request)[1].prose


def test_a_misspelt_question_is_read_with_the_courses_words(
    client: TestClient, session: Session, world: World
) -> None:
    staff = world_staff(session)
    for i in range(2):  # the course uses the words in more than one thread
        _thread(
            session, world, f"t-aligned-{i}", staff, f"rnn_forward shapes not aligned ({i})",
            "np.dot says the shapes are not aligned when multiplying Wax by x",
            answer="Slice the input at time step t before multiplying.",
        )  # fmt: skip
    session.commit()
    misspelt = _prose(session, MISSPELT)
    assert misspelt == _prose(session, SPELT)
    assert {"aligned", "multiplying"} <= misspelt
    data: dict[str, Any] = client.post(
        "/api/v1/ask", json={"question": MISSPELT, "course": "dl-seq"}
    ).json()
    assert data["verdict"] != "no_match"
