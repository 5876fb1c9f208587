"""A thread that says which notebook version it is about (issue #13, ``ranking.thread_version``).

"Wrong values for c_next (version 4)" and "(version 3)" are two problems: a learner on version 3
is best served by the thread about version 3, whose problem exists in their notebook. The
learner's version comes from the widget (every ask sends it), not from their words, so nothing
lexical can tell the two threads apart. Real model and index, both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.assistant.conftest import World, _thread

pytestmark = pytest.mark.model

QUESTION = "lstm_cell_forward gives wrong values for c_next, a_next is fine"


def _lead(client: TestClient, version: str) -> str:
    body: dict[str, Any] = {"question": QUESTION, "course": "dl-seq", "notebook_version": version}
    r = client.post("/api/v1/ask", json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["sources"][0]["external_id"]).removesuffix("-a")


@pytest.fixture()
def two_versions(session: Session, world: World) -> World:
    from index.runtime import get_runtime
    from users.models import User

    author = session.exec(select(User).where(User.username == "staff_member")).one()
    assert author.id is not None
    for version, answer in (
        ("3", "In version 3 the test's c_prev is transposed: use the printed value as is."),
        ("4", "In version 4 the test is right: check c_next = ft * c_prev + it * cct."),
    ):
        _thread(
            session, world, f"t-cnext-v{version}", author.id,
            f"lstm_cell_forward: Wrong values for c_next (version {version})",
            "My lstm_cell_forward gives wrong values for c_next; a_next is fine.",
            answer=answer,
        )  # fmt: skip
    session.commit()
    get_runtime().rebuild_now()
    return world


def test_the_thread_about_the_learners_version_leads(
    client: TestClient, two_versions: World
) -> None:
    assert _lead(client, "3") == "t-cnext-v3"
    assert _lead(client, "4") == "t-cnext-v4"


@pytest.mark.parametrize(
    ("head", "version"),
    [
        ("lstm_cell_forward: Wrong values for c_next (version 4)\n...", "4"),
        ("Emojify V1 model: broadcast shapes", "1"),
        ("L_model_backward on notebook v3a\nWrong values for dA0", "3a"),
        ("tensorflow version 2.9 breaks my model\n", None),
        ("Wrong values for dWf\nI ran every cell twice.", None),
    ],
)  # fmt: skip
def test_the_version_a_thread_states(head: str, version: str | None) -> None:
    from assistant.ranking import thread_version
    from assistant.retrieval import Candidate

    c = Candidate(kind="thread", item_id=1)
    c.head = head
    assert thread_version(c) == version
