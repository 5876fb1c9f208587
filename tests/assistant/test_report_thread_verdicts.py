"""The thread an erratum was reported from and the erratum are one problem (issue #13), with the
real model and index.

The report thread is worded like a learner, so it often outranks the erratum. When it does, its
match to the question counts for the erratum (``assistant.threadlinks``, ``assistant.declare``):
the verified erratum leads the answer. A same-function erratum about a *different* problem is
still never declared for a learner's own bug, recorded link or not.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.assistant.conftest import World, _erratum, _thread, report_from, world_staff

pytestmark = pytest.mark.model
NOTEBOOK_WRONG = {"known_erratum", "output_matches_correction"}

REPORTED_QUESTION = (
    "The docstring of gru_cell mixes h_prev and h_tilde with the reset gate r_t, but my h_next "
    "only matches the test when I use the update gate z_t. Which one is right?"
)
OWN_BUG_QUESTION = (
    "gru_cell raises NameError: name 'sigmoid' is not defined when I run the cell, "
    "what did I forget to import?"
)


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/ask", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture()
def reported(session: Session, world: World) -> World:
    """A verified erratum on gru_cell and the forum thread it was reported from (recorded)."""
    from errata.models import Erratum
    from errata.models import ErratumStatus as S
    from index.runtime import get_runtime

    staff = world_staff(session)
    _thread(
        session, world, "t-gru-report", staff,
        "gru_cell: docstring formula uses the reset gate for h_next?",
        "The docstring combines h_prev and h_tilde with r_t, but my h_next only matches the "
        "test when I use z_t. Which one is right?",
        answer="Use z_t; the docstring has a typo.",
    )  # fmt: skip
    _erratum(
        session, world, "e-gru-docstring", staff, status=S.verified,
        title="gru_cell docstring: h_next formula written with r_t instead of z_t",
        description="The docstring of gru_cell writes h_next = (1 - r_t) * h_prev + r_t * "
        "h_tilde. The update gate z_t belongs there; r_t is the reset gate. The test uses z_t.",
        location="gru_cell",
    )  # fmt: skip
    e = session.get(Erratum, world.errata["e-gru-docstring"])
    assert e is not None
    e.source_thread_id = world.threads["t-gru-report"]
    session.add(e)
    session.commit()
    get_runtime().rebuild_now()
    return world


def test_question_matching_the_report_thread_gets_the_erratum_first(
    client: TestClient, session: Session, reported: World
) -> None:
    data = _ask(client, question=REPORTED_QUESTION, course="dl-seq", notebook_version="4")
    ext = [s["external_id"] for s in data["sources"]]
    assert data["verdict"] == "known_erratum", (data["verdict"], ext)
    assert ext[0] == "e-gru-docstring"
    assert any(x and x.startswith("t-gru-report") for x in ext)  # the report thread is cited too


def test_the_recorded_link_is_evidence_for_the_erratum(session: Session, reported: World) -> None:
    from assistant import declare, service
    from assistant.intake import validate
    from assistant.ranking import weights
    from assistant.schemas import AskRequest
    from assistant.threadlinks import Linker

    request = validate(
        AskRequest(question=REPORTED_QUESTION, course="dl-seq", notebook_version="4")
    )

    def probability() -> float:
        ranked, q, _, _ = service.candidates(session, request)
        linker = Linker(ranked)
        erratum = next(
            c for c in ranked if c.erratum and c.erratum.external_id == "e-gru-docstring"
        )
        position = ranked.index(erratum)
        threads = [t for t in ranked[:position] if t.erratum is None]
        x = declare.vector(
            declare.base(erratum, q), position=position, share=erratum.probability,
            **declare.above(erratum, threads, linker),
        )  # fmt: skip
        return weights().declare.probability(x) if position else 1.0

    linked = probability()
    report_from(session, reported, "e-gru-docstring", None)
    unlinked = probability()
    assert linked >= unlinked
    if linked < 1.0:  # the thread outranked the erratum: the link must have counted
        assert linked > unlinked


def test_same_function_erratum_with_its_report_thread_is_not_declared_for_an_own_bug(
    client: TestClient, reported: World
) -> None:
    data = _ask(client, question=OWN_BUG_QUESTION, course="dl-seq", notebook_version="4")
    assert data["verdict"] not in NOTEBOOK_WRONG, data["answer"]


def test_an_erratum_two_report_threads_outrank_is_still_declared(
    client: TestClient, session: Session, reported: World
) -> None:
    """Two learners reported the problem in their own threads: both threads outrank the erratum
    (they are worded like the question), and the verified erratum, third, still leads the answer
    with its verdict (``declare.Model.within``: the report thread and one more)."""
    from assistant import service
    from assistant.intake import validate
    from assistant.schemas import AskRequest
    from index.runtime import get_runtime

    _thread(
        session, reported, "t-gru-second", world_staff(session),
        "gru_cell h_next matches the test only with z_t, docstring says r_t",
        "My h_next in gru_cell only matches the test when I use the update gate z_t, but the "
        "docstring mixes h_prev and h_tilde with the reset gate r_t. Which one is right?",
        answer="Same problem as the other thread: use z_t.",
    )  # fmt: skip
    session.commit()
    get_runtime().rebuild_now()
    body = {"question": REPORTED_QUESTION, "course": "dl-seq", "notebook_version": "4"}

    ranked, _, _, _ = service.candidates(session, validate(AskRequest(**body)))
    order = [c.erratum.external_id if c.erratum else c.thread.external_id for c in ranked]  # type: ignore[union-attr]
    assert order.index("e-gru-docstring") == 2, order[:5]  # behind both threads
    data = _ask(client, **body)
    ext = [s["external_id"] for s in data["sources"]]
    assert data["verdict"] == "known_erratum", (data["verdict"], ext)
    assert ext[0] == "e-gru-docstring"
