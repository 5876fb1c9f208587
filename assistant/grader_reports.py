"""Autograder reports, as learners paste them from a submission page, read as the failure they
report.

A learner whose notebook passed but whose submission did not pastes the grader's report, not a
traceback. The report names the exception and the graded function and nothing else (no frame,
no source line), in a fixed sentence:

    Code Cell UNQ_C3: Unexpected error (AssertionError('Wrong values for dW')) occurred during
    function check. We expected function `linear_backward` to return Test 2 failed. Please
    check that this function is defined properly.

    Code Cell UNQ_C2: Function 'linear_backward' is incorrect. Check implementation.

``normalize`` rewrites each report as what the parser reads in a traceback: the exception on a
line of its own (``AssertionError: Wrong values for dW``) and, for an "is incorrect" report,
``Test failed``; it returns the graded functions beside the text. Boilerplate that says nothing
about the problem ("Code Cell UNQ_C3", "Please check that this function is defined properly")
is dropped, so it neither matches every other pasted report nor reads as the learner's words.
The report's wording is the platform's, not a course's: it is the same in every course graded
this way.
"""

from __future__ import annotations

import ast

from core.linear_regex import Match, Pattern

# The exception inside "Unexpected error (...)": its repr, quoted either way (RE2 has no
# backreference: one branch per quote), or called with no message. Groups: 1 the exception's
# name, 2 or 3 its quoted message, 4 the graded function.
_REPR = (
    r"(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\("
    r"""(?:('(?:[^'\\\n]|\\.)*')|("(?:[^"\\\n]|\\.)*")|)"""
    r"[^)\n]{0,40}\)"
)
_UNEXPECTED = Pattern(
    r"(?i)(?:Code Cell [\w-]+:\s*)?Unexpected\s+error\s*\(\s*"
    + _REPR
    + r"\s*\)\s*occurred\s+during\s+function\s+check\.?"
    # The name's backticks are gone when the report was read as Markdown (a code span).
    r"(?:\s*We expected function\s+[`'\"]?([A-Za-z_]\w*)[`'\"]?\s+to return)?"
    r"(?:\s*Test \d+ failed\.?)?"
    r"(?:\s*Please check that this function is defined properly\.?)?"
)
# Group 1: the graded function.
_INCORRECT = Pattern(
    r"(?i)(?:Code Cell [\w-]+:\s*)?Function\s+['`\"]([A-Za-z_]\w*)['`\"]"
    r"\s+is incorrect\.?(?:\s*Check (?:your )?implementation\.?)?"
)
# What the grader adds when one wrong function breaks the ones that use it.
_CASCADE = Pattern(
    r"(?i)If you see many functions being marked as incorrect, try to trace back your steps"
    r"[^\n]*?incorrect function that is being used in other steps\.?"
)


def _message(single: str | None, double: str | None) -> str:
    quoted = single or double
    if not quoted:
        return ""
    try:
        value = ast.literal_eval(quoted)
    except (ValueError, SyntaxError):
        return quoted[1:-1]
    return value if isinstance(value, str) else quoted[1:-1]


def normalize(text: str) -> tuple[str, list[str]]:
    """``text`` with each grader report rewritten as the failure it reports, and the functions
    the reports name (in order, without repeats)."""
    if "rror" not in text and "incorrect" not in text:
        return text, []
    functions: list[str] = []

    def unexpected(m: Match) -> str:
        kind, single, double, expected = m.groups()
        if expected:
            functions.append(expected)
        message = _message(single, double)
        return f"\n{kind}: {message}\n" if message else f"\n{kind}\n"

    def incorrect(m: Match) -> str:
        functions.append(m.group(1))
        return "\nTest failed\n"

    text = _UNEXPECTED.sub(unexpected, text)
    text = _INCORRECT.sub(incorrect, text)
    text = _CASCADE.sub("", text)
    return text, list(dict.fromkeys(functions))
