"""What the learner says their tests do (assistant.claims): the evidence that separates "my code
passes its test but prints something else than the notebook" (a wrong expected output) from
"my test fails" (usually a bug)."""

from __future__ import annotations

import pytest

from assistant.claims import Outcome, claimed_outcome
from assistant.parsing import parse


@pytest.mark.parametrize(
    "text",
    [
        "clean_text output differs from the example under the cell, test is passing",
        "the cost under compute_cost doesnt match mine but the test is green?",
        "conv forward: the mean of my Z is not what the notebook shows, but conv_forward_test "
        "is happy",
        "my code passes all the unit tests, only the printed values differ",
        "it passes test_rnn_forward",
        "\x1b[92m All tests passed.",
        "\x1b[92m 3  Tests passed\n\x1b[91m 0  Tests failed",
    ],
)
def test_a_passing_test_in_the_learners_words_or_output(text: str) -> None:
    assert claimed_outcome(text) is Outcome.passes


@pytest.mark.parametrize(
    "text",
    [
        "softmax values are identical to the expected output but the test fails",
        "my test doesn't pass even though the output matches",
        "the tests are not passing",
        "insert_ones sanity checks match the notebook exactly but the unit test says wrong values",
        "the grader complains about my conv_block",
        "Test failed\n Expected value ['Conv2D', (None, 96, 128, 32)]",
        "failing test_lstm_backward",
        # The check was named before; "still" says it has not stopped failing.
        "updated the notebook and softmax still fails",
        "fixed the shapes, the grader still complains about dW2",
        # The course's test runner tallies both: a failure counted settles it.
        "\x1b[92m 2  Tests passed\n\x1b[91m 1  Tests failed",
    ],
)
def test_a_failing_test_or_a_negated_pass(text: str) -> None:
    assert claimed_outcome(text) is Outcome.fails


@pytest.mark.parametrize(
    "text",
    [
        "my rnn cell output is off compared to the notebook",
        "the output is different from the expected one, what is going on",
        # Both said: no claim either way.
        "the first test passes and the second test fails",
        "the dZ1 check is fine now (i divide by m) but it still complains about dZ2",
        # "test" inside another word, and words ending in "nt", are neither.
        "my contest entry latest output is different",
        "",
    ],
)
def test_no_claim(text: str) -> None:
    assert claimed_outcome(text) is Outcome.unknown


def test_an_assertion_error_in_the_traceback_is_a_failing_test() -> None:
    traceback = (
        "AssertionError                            Traceback (most recent call last)\n"
        "Cell In[12], line 3\n"
        "----> 3 rnn_forward_test(rnn_forward)\n"
        "AssertionError: Wrong values for a_next"
    )
    assert parse("what is wrong here?", traceback=traceback).test_outcome is Outcome.fails
    assert parse("my a_next differs, test passes").test_outcome is Outcome.passes
    assert parse("", output="All tests passed").test_outcome is Outcome.passes
