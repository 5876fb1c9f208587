"""The thread that reported an erratum and the erratum are one problem (issue #13): the link's
strength, recorded or inferred from the two problem statements."""

from __future__ import annotations

import pytest

from assistant.retrieval import Candidate, fill_erratum_text
from assistant.threadlinks import RECORDED, Linker
from errata.models import Erratum, ErratumStatus
from forum.models import Thread

pytestmark = pytest.mark.nodb


def _erratum(assignment: int = 1) -> Candidate:
    c = Candidate(kind="erratum", item_id=7)
    c.erratum = Erratum(
        course_id=1, assignment_id=assignment, reporter_id=1, status=ErratumStatus.verified,
        title="gradient_check (1-D): markdown formula divides by epsilon instead of 2*epsilon",
        description="Step 1 of the 1-D gradient_check markdown shows gradapprox = "
        "(J_plus - J_minus) / epsilon. The two-sided formula uses 2 * epsilon. Following the "
        "markdown gives a difference near 0.33.",
        location="gradient_check",
    )  # fmt: skip
    fill_erratum_text(c)
    return c


def _thread(item_id: int, title: str, body: str, assignment: int = 1) -> Candidate:
    c = Candidate(kind="thread", item_id=item_id)
    c.thread = Thread(id=item_id, course_id=1, assignment_id=assignment, author_id=1, title=title)
    c.title, c.head, c.text = title, f"{title}\n{body}", f"{title}\n{body}"
    return c


REPORT = (
    "1-D gradient_check difference 0.333 after following the formula",
    "I implemented gradapprox exactly like the markdown step 1 and get difference = 0.33333",
)
OTHER = (
    "gradient_check NameError forward_propagation",
    "gradient_check raises NameError: name 'forward_propagation' is not defined, what import?",
)
FILLER = [
    (f"gradient_check question {i}", "gradient_check fails, please help, restart the kernel?")
    for i in range(6)
]


def _candidates(assignment_of_report: int = 1) -> tuple[Candidate, Candidate, Candidate, Linker]:
    erratum = _erratum()
    report = _thread(10, *REPORT, assignment=assignment_of_report)
    other = _thread(11, *OTHER)
    filler = [_thread(20 + i, *f) for i, f in enumerate(FILLER)]
    return erratum, report, other, Linker([erratum, report, other, *filler])


def test_the_report_thread_is_linked_and_a_thread_about_another_problem_is_not() -> None:
    erratum, report, other, linker = _candidates()
    assert linker.strength(erratum, report) > 2 * linker.strength(erratum, other)
    assert linker.strength(erratum, report) > 0.2


def test_threads_of_another_assignment_are_never_inferred_as_linked() -> None:
    erratum, report, _other, linker = _candidates(assignment_of_report=2)
    assert linker.strength(erratum, report) == 0.0


def test_a_recorded_link_is_full_strength_whatever_the_words() -> None:
    erratum, _report, other, linker = _candidates()
    erratum.linked_threads = frozenset({other.item_id})
    assert linker.strength(erratum, other) == RECORDED
