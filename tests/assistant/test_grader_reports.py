"""Autograder reports pasted from a submission page (assistant.grader_reports): read as the
failure they report, as a traceback of it would be."""

from __future__ import annotations

import pytest

from assistant.claims import Outcome
from assistant.grader_reports import normalize
from assistant.parsing import parse

pytestmark = pytest.mark.nodb

UNEXPECTED = (
    "Code Cell UNQ_C3: Unexpected error (AssertionError('Wrong values for dW')) occurred during "
    "function check. We expected function `linear_backward` to return Test 2 failed. Please "
    "check that this function is defined properly."
)
INCORRECT = (
    "Code Cell UNQ_C2: Function 'linear_backward' is incorrect. Check implementation.\n"
    "If you see many functions being marked as incorrect, try to trace back your steps & "
    "identify if there is an incorrect function that is being used in other steps."
)


def test_an_unexpected_error_report_reads_as_its_exception_in_the_graded_function() -> None:
    p = parse(f"my submission fails but the notebook was fine\n{UNEXPECTED}")
    assert (p.exception_type, p.exception_message) == ("AssertionError", "Wrong values for dW")
    assert p.functions == ["linear_backward"]
    assert p.test_outcome is Outcome.fails
    # The platform's boilerplate is neither a code name nor the learner's words.
    assert "UNQ_C3" not in p.identifiers
    assert p.prose == "my submission fails but the notebook was fine"


def test_a_message_quoted_with_double_quotes_keeps_its_own_quotes() -> None:
    report = (
        "Unexpected error (TypeError(\"unsupported operand type(s) for -: 'NoneType' and "
        "'float'\")) occurred during function check. We expected function `compute_cost` to "
        "return Test 1 failed."
    )
    p = parse("compute_cost", traceback=report)
    assert p.exception_type == "TypeError"
    assert p.exception_message == "unsupported operand type(s) for -: 'NoneType' and 'float'"
    assert p.functions == ["compute_cost"]


def test_an_incorrect_function_report_is_a_failing_check_of_that_function() -> None:
    p = parse(INCORRECT)
    assert p.functions == ["linear_backward"]
    assert p.test_outcome is Outcome.fails
    assert p.prose == "Test failed"
    # "All tests passed" in the notebook and a failing grader: no claim either way.
    both = parse(f"All tests passed in my notebook, the grader says\n{INCORRECT}")
    assert both.test_outcome is Outcome.unknown


def test_text_without_a_report_is_left_as_it_is() -> None:
    text = "the grader says Unexpected error but nothing else, my dW is wrong"
    assert normalize(text) == (text, [])
    assert normalize("") == ("", [])


def test_a_report_read_as_markdown_keeps_its_function() -> None:
    # Posted as Markdown, the backticks around the function are a code span and disappear;
    # copied from a web page, the spacing may be anything.
    p = parse(UNEXPECTED.replace("`linear_backward` to", "`linear_backward`\n  to"))
    assert p.functions == ["linear_backward"]
    # A learner's own words about "the function" are no report.
    assert parse("my function linear_backward is incorrect i think").functions == []
