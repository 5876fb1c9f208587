"""Verdicts from evidence (issue #13, invariant 5), with the real model and index.

"The notebook is wrong" is said only when the learner's output equals the correction, or when
the evidence convinces the fitted declare model (assistant.declare) for an erratum that affects
their version; an erratum about the same function but a different problem is at most "possibly
related". Colour codes in a pasted traceback are layout, not binary data.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.assistant.conftest import World
from tests.assistant.test_ask import LSTM_TRACEBACK

pytestmark = pytest.mark.model
NOTEBOOK_WRONG = {"known_erratum", "output_matches_correction"}


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/ask", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _coloured(traceback: str) -> str:
    """The traceback as IPython prints it in a terminal or JupyterLab copy: ANSI colours."""
    red, green, cyan, reset = "\x1b[0;31m", "\x1b[0;32m", "\x1b[0;36m", "\x1b[0m"
    out = []
    for line in traceback.splitlines():
        if line.startswith(("---", "AssertionError")):
            line = f"{red}{line}{reset}"
        elif line.startswith(("Cell In", "File")):
            line = f"{cyan}{line}{reset}"
        elif line.lstrip().startswith(("-->", "---->")):
            line = f"{green}{line}{reset}"
        out.append(line)
    return "\n".join(out)


def test_coloured_ipython_traceback_is_read_like_a_plain_one(
    client: TestClient, world: World
) -> None:
    coloured = _coloured(LSTM_TRACEBACK)
    assert coloured.count("\x1b") > len(coloured) // 100  # was refused as "binary data"
    plain = _ask(client, question=LSTM_TRACEBACK, course="dl-seq", notebook_version="4")
    data = _ask(client, question=coloured, course="dl-seq", notebook_version="4")
    assert data["verdict"] == plain["verdict"] == "known_erratum"
    assert [s["external_id"] for s in data["sources"]] == [
        s["external_id"] for s in plain["sources"]
    ]
    assert "\x1b" not in data["answer"]


def test_coloured_traceback_in_the_traceback_field_too(client: TestClient, world: World) -> None:
    data = _ask(
        client, question="lstm test fails", traceback=_coloured(LSTM_TRACEBACK), course="dl-seq"
    )
    assert data["sources"], data
    assert data["sources"][0]["external_id"] in ("e-lstm-backward-2", "e-lstm-backward")


def test_same_function_erratum_about_another_problem_is_not_declared(
    client: TestClient, world: World
) -> None:
    # The only erratum on rnn_cell_forward is about the sign of a printed value; this learner's
    # own code fails to run. Naming the function is no evidence that the notebook is wrong.
    question = (
        "rnn_cell_forward raises NameError: name 'softmax' is not defined when I run the cell, "
        "what did I forget to import?"
    )
    data = _ask(client, question=question, course="dl-seq", notebook_version="4")
    assert data["verdict"] not in NOTEBOOK_WRONG, data["answer"]
    erratum = [s for s in data["sources"] if s["external_id"] == "e-rnn-cell"]
    if erratum and data["sources"][0]["external_id"] == "e-rnn-cell":
        assert "possibly related" in data["answer"].lower()


def test_output_equal_to_the_correction_is_declared(client: TestClient, world: World) -> None:
    mine = (
        "a_next[4] = [ 0.59584544  0.18141802  0.61311866  0.99808218  0.85016201\n"
        "  0.99980978 -0.18887155  0.99815551  0.6531151   0.82872037]\n"
        "a_next.shape = (5, 10)"
    )
    # Vague words; the output alone is the evidence.
    data = _ask(client, question="my values are different from the notebook", output=mine)
    assert data["verdict"] == "output_matches_correction"
    assert data["sources"][0]["external_id"] == "e-rnn-cell"


def test_erratum_fixed_in_the_learners_version_says_so(client: TestClient, world: World) -> None:
    question = (
        "lstm_backward_test fails with Wrong values for dWf although the code is right, "
        "the forget gate gradient looks transposed"
    )
    data = _ask(client, question=question, course="dl-seq", notebook_version="3a")
    fixed = [s for s in data["sources"] if s["external_id"] == "e-lstm-backward"]
    assert fixed, data["sources"]
    assert "fixed in your version" in fixed[0]["labels"]
    assert not (
        data["verdict"] in NOTEBOOK_WRONG and data["sources"][0]["external_id"] == "e-lstm-backward"
    )


def test_described_erratum_question_is_declared(client: TestClient, world: World) -> None:
    # Words only, no output and no error line: the learner blames the printed expectation.
    question = (
        "the expected a_next printed under rnn_cell_forward looks wrong to me, the first value "
        "has the opposite sign of mine and my test passes"
    )
    data = _ask(client, question=question, course="dl-seq", notebook_version="4")
    assert data["verdict"] == "known_erratum", data["answer"]
    assert data["sources"][0]["external_id"] == "e-rnn-cell"


def test_an_erratum_listed_for_version_4_concerns_a_learner_on_v4(
    client: TestClient, session: Session, world: World
) -> None:
    # The widget and learners spell versions as they like ("v4", "4"); which versions an
    # erratum concerns is one rule (errata.versions), the banner's as well as the verdict's.
    from errata.models import Erratum

    erratum = session.get(Erratum, world.errata["e-rnn-cell"])
    assert erratum is not None
    erratum.affected_versions = "3, 4"
    session.add(erratum)
    session.commit()
    question = (
        "the expected a_next printed under rnn_cell_forward looks wrong to me, the first value "
        "has the opposite sign of mine and my test passes"
    )
    for version in ("4", "v4", "V4"):
        data = _ask(client, question=question, course="dl-seq", notebook_version=version)
        assert data["verdict"] == "known_erratum", (version, data["answer"])
        assert data["sources"][0]["external_id"] == "e-rnn-cell"
    earlier = _ask(client, question=question, course="dl-seq", notebook_version="2")
    assert earlier["verdict"] not in NOTEBOOK_WRONG, earlier["answer"]


def test_a_version_stated_in_the_question_counts_as_the_version_field(
    client: TestClient, world: World
) -> None:
    question = "lstm_backward_test fails with Wrong values for dWf although the code is right"

    def labels(data: dict[str, Any]) -> list[str]:
        found = [s for s in data["sources"] if s["external_id"] == "e-lstm-backward"]
        assert found, data["sources"]
        return found[0]["labels"]  # type: ignore[no-any-return]

    unstated = _ask(client, question=question, course="dl-seq")
    assert "fixed in your version" not in labels(unstated)
    stated = _ask(client, question=f"{question}. I'm on version 3a", course="dl-seq")
    assert "fixed in your version" in labels(stated)
    # The field, when sent, is what the page or widget knows: it wins.
    field = _ask(client, question=f"{question}. I'm on version 3a", course="dl-seq",
                 notebook_version="3")  # fmt: skip
    assert "fixed in your version" not in labels(field)


def test_a_failing_test_is_not_told_the_printed_output_is_to_blame(
    client: TestClient, world: World
) -> None:
    # e-rnn-cell: only the printed a_next is wrong, "the grader is right". The same words with a
    # passing test are that erratum; with a failing test the learner's code is what fails.
    said = "the a_next printed under rnn_cell_forward is different from mine"
    passing = _ask(client, question=f"{said}, but the unit test passes", course="dl-seq",
                   notebook_version="4")  # fmt: skip
    assert passing["verdict"] == "known_erratum", passing["answer"]
    assert passing["sources"][0]["external_id"] == "e-rnn-cell"
    failing = _ask(client, question=f"{said}, and the unit test fails", course="dl-seq",
                   notebook_version="4")  # fmt: skip
    assert failing["verdict"] not in NOTEBOOK_WRONG, failing["answer"]
    # Cited, it says why it does not apply: a printed value fails no test.
    assert "e-rnn-cell" in [s["external_id"] for s in failing["sources"]], failing["sources"]
    assert "your failing test points to your own code" in failing["answer"], failing["answer"]


def test_the_version_the_widget_sends_is_no_evidence_for_an_erratum(
    session: Session, world: World
) -> None:
    """The notebook widget sends its version with every ask. An erratum that affects that
    version is eligible, as with no version known, and no likelier to be declared: the version
    says which errata can apply, not which problem the learner has."""
    from assistant import declare, service
    from assistant.intake import validate
    from assistant.ranking import weights
    from assistant.schemas import AskRequest
    from assistant.threadlinks import Linker

    question = "my lstm_backward gives Wrong values for dWf, I think I mixed up the gates"

    def probability(version: str | None) -> float:
        request = validate(AskRequest(question=question, course="dl-seq", notebook_version=version))
        ranked, q, _, _ = service.candidates(session, request)
        erratum = next(
            c for c in ranked if c.erratum and c.erratum.external_id == "e-lstm-backward"
        )
        assert declare.eligible(erratum, q)  # fixed in 3a: version 2 is affected
        position = ranked.index(erratum)
        threads = [t for t in ranked[:position] if t.erratum is None]
        x = declare.vector(
            declare.base(erratum, q), position=position, share=erratum.probability,
            **declare.above(erratum, threads, Linker(ranked)),
        )  # fmt: skip
        return weights().declare.probability(x)

    assert probability("2") == pytest.approx(probability(None))
