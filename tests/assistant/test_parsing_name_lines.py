"""A ``name: …`` line is printed data only when what follows is a value, not the learner's words."""

from __future__ import annotations

import pytest

from assistant.parsing import parse

pytestmark = pytest.mark.nodb


def test_described_question_with_name_then_sentence_keeps_the_words() -> None:
    parsed = parse(
        "kmeans: every point ends up in the same cluster.\n"
        "Note: I already checked that the centroids are initialised at random points"
    )
    assert "every point ends up in the same cluster" in parsed.prose
    assert "centroids are initialised at random points" in parsed.prose
    assert "same cluster" in parsed.dense_text()
    assert parsed.values == []


def test_printed_cost_line_is_still_a_value_not_prose() -> None:
    parsed = parse("my cost looks off after training\ncost: 0.6931")
    assert parsed.prose == "my cost looks off after training"
    assert [(v.name, v.numbers) for v in parsed.values] == [("cost", (0.6931,))]
    assert parsed.quoted == []


@pytest.mark.parametrize(
    "line",
    [
        "a_next[4] = [-0.99999375  0.77911235 -0.99861469]",
        "dW1.shape: (4, 5)",
        "converged: False",
        "label: 'cat' dtype: float32",
        "W1 = tf.Variable(tf.random.normal((25, 12288)), name='W1')",
    ],
)
def test_value_lines_stay_out_of_the_prose(line: str) -> None:
    parsed = parse(f"the test fails for my layer\n{line}")
    assert parsed.prose == "the test fails for my layer"


def test_error_line_after_a_test_name_is_not_prose() -> None:
    parsed = parse("rnn_cell_forward_tests: AssertionError: Wrong values for a_next")
    assert "rnn_cell_forward_tests" not in parsed.prose


def test_a_number_introduced_as_the_expected_one_in_a_name_sentence_is_not_the_learners() -> None:
    parsed = parse("propagate: the expected cost is 2.0424567983978403 but mine is 1.7")
    assert "the expected cost is" in parsed.prose
    assert [v.numbers for v in parsed.quoted] == [(1.7,)]
