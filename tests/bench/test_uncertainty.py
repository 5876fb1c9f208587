"""The eval's intervals: a rate of 0 in n still has room above it, a resampled mean brackets
the mean by about the textbook width, and a paired lead that holds on every question is
certain while no lead at all never is."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

EVAL = Path(__file__).resolve().parent.parent.parent / "bench" / "eval"
sys.path.insert(0, str(EVAL))

from uncertainty import bootstrap, paired, per_question, wilson  # noqa: E402


def test_no_false_alarm_in_131_questions_still_allows_almost_three_percent() -> None:
    iv = wilson(0, 131)
    assert iv.value == 0.0 and iv.low == 0.0
    assert iv.high == pytest.approx(1.96**2 / (131 + 1.96**2), abs=2e-4)  # 0.0285
    for k, n in ((44, 70), (70, 70), (1, 2)):
        iv = wilson(k, n)
        assert 0.0 <= iv.low < k / n or k == 0
        assert k / n < iv.high <= 1.0 or k == n
    assert wilson(70, 70).high == 1.0 and wilson(70, 70).low < 1.0


def test_a_resampled_recall_brackets_it_by_the_textbook_width() -> None:
    hits = np.array([1.0, 0.0] * 100)  # R@1 0.5 over 200 questions
    iv = bootstrap(hits)
    half = 1.96 * math.sqrt(0.25 / 200)  # 0.069
    assert iv.value == 0.5
    assert iv.low == pytest.approx(0.5 - half, abs=0.015)
    assert iv.high == pytest.approx(0.5 + half, abs=0.015)
    same = bootstrap(np.ones(50))
    assert (same.low, same.high) == (1.0, 1.0)


def test_a_lead_on_every_question_is_certain_and_no_lead_never_is() -> None:
    ranks_a, ranks_b = [1, 1, 2, 4, 1], [2, 3, 4, None, None]
    a, b = per_question(ranks_a, "MRR"), per_question(ranks_b, "MRR")
    assert a.tolist() == [1.0, 1.0, 0.5, 0.25, 1.0]
    assert per_question(ranks_b, "R@3").tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]
    lead = paired(a, b)
    assert lead.interval.value == pytest.approx((0.5 + 2 / 3 + 0.25 + 0.25 + 1) / 5)
    assert lead.p_not_better == 0.0 and lead.interval.low >= 0.0
    assert paired(a, a).p_not_better == 1.0
    with pytest.raises(ValueError):
        per_question(ranks_a, "NDCG")
