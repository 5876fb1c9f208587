"""Who leads when the erratum ranked first is not declared (issue #13, ``assistant.verdicts``).

The best forum answer leads and the erratum follows as "possibly related", but only when that
thread is an answer at all: an unrelated thread that merely ranks next (a 1% share beside the
erratum's 90%) must not be shown as the answer above the erratum.
"""

from __future__ import annotations

import pytest

from assistant.declare import Model
from assistant.parsing import parse
from assistant.ranking import QueryEvidence, Weights
from assistant.retrieval import Candidate, Scope
from assistant.schemas import Verdict
from assistant.verdicts import POSSIBLY_RELATED, decide
from errata.models import Erratum, ErratumStatus
from forum.models import Thread

pytestmark = pytest.mark.nodb

# Nothing is declared on words (threshold 1.0): the case this rule is about.
NEVER_DECLARE = Weights(weights={}, no_match_below=5.0, declare=Model(threshold=1.0))


def _erratum(probability: float) -> Candidate:
    c = Candidate(kind="erratum", item_id=1, probability=probability, match_score=9.0)
    c.erratum = Erratum(
        course_id=1, reporter_id=1, status=ErratumStatus.verified, title="lstm_backward dWf"
    )
    return c


def _thread(probability: float, match_score: float) -> Candidate:
    c = Candidate(kind="thread", item_id=2, probability=probability, match_score=match_score)
    c.thread = Thread(course_id=1, author_id=1, title="shapes not aligned in rnn_forward")
    return c


def _decide(*cands: Candidate) -> tuple[Verdict, list[Candidate]]:
    q = QueryEvidence.of(parse("lstm_backward_test: Wrong values for dWf"), Scope(), None)
    d = decide(list(cands), q, w=NEVER_DECLARE)
    return d.verdict, d.cited


def test_an_unrelated_thread_does_not_take_the_lead_from_the_erratum() -> None:
    erratum, stray = _erratum(0.9), _thread(0.01, match_score=2.0)
    verdict, cited = _decide(erratum, stray)
    assert verdict == Verdict.answered_before
    assert cited[0] is erratum and POSSIBLY_RELATED in erratum.labels


def test_a_thread_that_answers_leads_with_the_erratum_beneath() -> None:
    # A real share of the re-ranker's probability...
    erratum, answer = _erratum(0.6), _thread(0.3, match_score=2.0)
    assert _decide(erratum, answer)[1][0] is answer
    # ...or a confident match on its own.
    erratum, answer = _erratum(0.9), _thread(0.05, match_score=6.0)
    verdict, cited = _decide(erratum, answer)
    assert verdict == Verdict.answered_before and cited == [answer, erratum]
    assert POSSIBLY_RELATED in erratum.labels
