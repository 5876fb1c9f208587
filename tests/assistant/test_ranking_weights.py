"""The fitted ranking weights never let more evidence, or a sounder answer, lower a score."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.ranking import FEATURES, MONOTONE, PRIORS, WEIGHTS_FILE, load_weights, weights


def test_an_endorsed_or_better_matching_thread_never_scores_lower() -> None:
    w = weights()
    plain = dict.fromkeys(FEATURES, 0.5)
    for name in sorted(MONOTONE):
        more = {**plain, name: 1.0}
        assert w.score(more) >= w.score(plain), name
    # Every match feature is monotone: only the priors (what kind of document) may go down.
    assert set(FEATURES) - PRIORS <= MONOTONE
    assert {"accepted", "endorsed", "specific_answer"} <= MONOTONE


def test_weights_that_count_evidence_against_a_candidate_are_refused(tmp_path: Path) -> None:
    data = json.loads(WEIGHTS_FILE.read_text())
    data["weights"]["endorsed"] = -0.7
    path = tmp_path / "ranking_weights.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"endorsed.*refit with bench/eval/fit_ranking.py"):
        load_weights(path)
