"""Declare evidence (issue #13): a near-duplicate thread ranked above a confirmed erratum counts
for it."""

from __future__ import annotations

import pytest

from assistant import declare
from assistant.retrieval import Candidate, fill_erratum_text
from errata.models import Erratum, ErratumStatus

pytestmark = pytest.mark.nodb


def _erratum(**fields: object) -> Erratum:
    fields.setdefault("title", "t")
    return Erratum(course_id=1, reporter_id=1, status=ErratumStatus.verified, **fields)


def _erratum_candidate(title: str, description: str, location: str) -> Candidate:
    c = Candidate(kind="erratum", item_id=2)
    c.erratum = _erratum(title=title, description=description, location=location)
    fill_erratum_text(c)
    return c


def _thread(text: str) -> Candidate:
    c = Candidate(kind="thread", item_id=1)
    c.text = text
    return c


def test_a_thread_reporting_the_same_problem_echoes_the_erratum_and_another_does_not() -> None:
    c = _erratum_candidate(
        "pool_backward: expected dA_prev printed with the max mask transposed",
        "The printed mean of dA_prev uses a transposed mask; the grader is right.",
        "pool_backward",
    )
    twin = _thread(
        "pool_backward mean of dA_prev differs from the printed one\n"
        "My grader passes but the printed mean of dA_prev is different. Is the mask transposed?"
    )
    other = _thread(
        "pool_backward KeyError 'mode'\nI get KeyError: 'mode' when I call pool_backward."
    )
    assert declare.echo(c, twin) > 0.5 > declare.echo(c, other)
    x = declare.vector({}, position=1, share=0.1, echoed=0.8, carried=0.8 * 0.6)
    assert x["carried"] == pytest.approx(0.48) and x["lead"] == 0.0


def _question(prose: str, error: str = "", identifiers: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
    from assistant.ranking import QueryEvidence
    from index.text import token_set

    said, err = token_set(prose), token_set(error)
    return QueryEvidence(
        identifiers=set(identifiers), error=err, error_strings=[], prose=said - identifiers,
        words=said | err, linked=set(), version="", assignment_id=None,
    )  # fmt: skip


def test_an_erratum_the_learners_words_do_not_describe_is_never_eligible() -> None:
    c = _erratum_candidate(
        "gru_cell docstring: h_next formula written with r_t instead of z_t",
        "The docstring writes h_next with the reset gate; the test uses z_t.",
        "gru_cell",
    )
    names = frozenset({"gru_cell"})
    # At the erratum's function, about another problem: nothing to declare, whatever the model.
    own_bug = _question(
        "gru_cell: what did I forget to import?", "NameError: name 'sigmoid' is not defined", names
    )
    assert declare.symptom(c, own_bug) == 0.0
    assert not declare.eligible(c, own_bug)
    # The learner says what the erratum says (the docstring's gate): the model decides.
    described = _question("gru_cell docstring uses the reset gate for h_next?", identifiers=names)
    assert declare.eligible(c, described)
    assert c.erratum is not None
    c.erratum.status = ErratumStatus.reported  # and only a confirmed erratum, as before
    assert not declare.eligible(c, described)
