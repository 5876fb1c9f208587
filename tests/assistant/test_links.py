"""Words -> identifiers learned from a course's own threads and errata (issue #13): a described
question reaches the name its words go with, without any hand-written list."""

from __future__ import annotations

import pytest

from assistant.links import learn

pytestmark = pytest.mark.nodb

COURSE = [
    "dW1 is slightly off: the first layer weight gradient differs from the expected output",
    "first layer weight gradient wrong. My dW1 = np.dot(dZ1, X.T) / m",
    "Expected dW1 printed under backward_propagation uses the first layer gradient of v2",
    "db2 differs: the output layer bias gradient should be summed over examples",
    "output layer bias gradient db2 has the wrong shape, use keepdims=True",
    "Cost is nan after many iterations in nn_model, lower the learning rate",
    "nn_model never converges, the cost stays the same every iteration",
    "How do I export the notebook as PDF?",
]


def test_described_words_link_to_the_name_they_go_with() -> None:
    stats = learn(COURSE)
    assert "dw1" in stats.link(["first", "layer", "weight", "gradient"])
    assert "db2" in stats.link(["output", "layer", "bias", "gradient"])
    assert "dw1" not in stats.link(["output", "layer", "bias", "gradient"])


def test_words_seen_once_together_or_everywhere_link_nothing() -> None:
    stats = learn(COURSE)
    assert stats.link(["export", "pdf"]) == set()  # no identifier in that thread
    assert stats.link(["unheard", "words"]) == set()
    assert learn([]).link(["first", "layer"]) == set()
