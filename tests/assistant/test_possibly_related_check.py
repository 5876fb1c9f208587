"""An erratum cited without evidence that it is the learner's problem (issue #13): it reads as
"possibly related", never as a verified erratum with its workaround, and the answer tells the
learner how to settle it — compare their output with the corrected one — which the next ask
then checks. Real model and index."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assistant.conftest import RNN_CORRECTED, World

pytestmark = pytest.mark.model

# Words only: nothing says which of the course's rnn problems this is.
VAGUE = "my rnn cell gives other numbers than the notebook"


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/ask", json={"course": "dl-seq", "notebook_version": "4", **body})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _source(data: dict[str, Any], external_id: str) -> dict[str, Any]:
    for s in data["sources"]:
        if s["external_id"] == external_id:
            return s
    raise AssertionError(f"{external_id} not cited: {data['sources']}")


def test_an_undeclared_erratum_is_possibly_related_with_a_way_to_tell(
    client: TestClient, world: World
) -> None:
    data = _ask(client, question=VAGUE)
    assert data["verdict"] not in ("known_erratum", "output_matches_correction")
    rnn = _source(data, "e-rnn-cell")
    assert "possibly related" in rnn["labels"]
    answer = data["answer"]
    # Not "Verified erratum … Workaround: Ignore the printed value" on no evidence.
    assert "Ignore the printed value" not in answer
    assert "Possibly related in `rnn_cell_forward`" in answer
    assert (
        "compare what your cell prints with the corrected expected output below. If they "
        "are equal, your code is right" in answer
    )
    assert "0.59584544" in answer  # the corrected output, to compare with
    # The learner does, and the output settles it.
    again = _ask(client, question=VAGUE, output=RNN_CORRECTED)
    assert again["verdict"] == "output_matches_correction"
    assert again["sources"][0]["external_id"] == "e-rnn-cell"


def test_no_comparison_is_offered_to_a_learner_who_sent_an_output(
    client: TestClient, world: World
) -> None:
    other = "a_next[4] = [ 0.1  0.2  0.3  0.4  0.5  0.6  0.7  0.8  0.9  1.0]"
    data = _ask(client, question=VAGUE, output=other)
    assert data["verdict"] not in ("known_erratum", "output_matches_correction")
    assert "possibly related" in _source(data, "e-rnn-cell")["labels"]
    assert "compare what your cell prints" not in data["answer"]
