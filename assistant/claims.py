"""What the learner says their tests do: pass, fail, or nothing said.

The commonest erratum reads "my test passes but my output differs from the expected output
printed under the cell": the notebook's printed value is wrong and the learner's code is right.
A learner whose test fails, on the other hand, usually has a bug (unless the test itself is the
erratum). So the claim is evidence for ranking (``assistant.ranking``) and for declaring an
erratum (``assistant.declare``); its weight is fitted on dev like every other.

The claim is read from the learner's words, the pasted traceback and the output: "the unit test
passes", "passes all tests", "All tests passed" (what the course's test helpers print), "the
test is green / happy"; "the test fails", "fails the test", "Test failed", "the grader
complains", "it still complains / fails" (the check was named before) and an
``AssertionError``; a test runner's tally that counts a failure ("1  Tests failed") settles it.
A pass phrase with a negation in it ("the test doesn't pass") is a failure; a learner who says
both ("passed in v1, fails in v2"; "the dA1 check is fine now but it still complains about
dA2") has made no claim.
"""

from __future__ import annotations

from enum import StrEnum

from core.linear_regex import Pattern


class Outcome(StrEnum):
    passes = "passes"
    fails = "fails"
    unknown = ""


# The nouns a learner uses for the course's checks, and the window (one clause: no sentence or
# clause punctuation) within which a verdict word still speaks about them. A test's own name
# counts ("conv_forward_test is happy", "passes test_conv").
_CHECK = r"(?:unit ?tests?|tests?|checks?|grader|autograder|asserts?|assertions?|comparator)"
_CLAUSE = r"[^.,;:!?\n]{0,40}"
_PASS = Pattern(
    rf"(?i)(?:\b|_){_CHECK}\b{_CLAUSE}\b(?:pass(?:es|ed|ing)?|green|happy|fine|ok|okay"
    r"|succeed(?:s|ed)?|satisfied)\b"
    rf"|\b(?:pass(?:es|ed|ing)?|clears?|cleared)\b{_CLAUSE}\b{_CHECK}(?:\b|_)"
)
_FAIL = Pattern(
    rf"(?i)(?:\b|_){_CHECK}\b{_CLAUSE}\b(?:fail(?:s|ed|ing|ures?)?|red|complains?|complaining"
    r"|rejects?|rejected|throws|raises|errors?|wrong)\b"
    rf"|\bfail(?:s|ed|ing|ures?)?\b{_CLAUSE}\b{_CHECK}(?:\b|_)"
    # "... but it still complains about dA2": the check it speaks of was named before.
    r"|\bstill\s+(?:fail(?:s|ing)?|complains?|complaining|rejects?)\b"
)
# A test runner's tally ("2  Tests passed", "1  Tests failed"): a failure counted is decisive,
# "0 Tests failed" is no failure.
_TALLY = Pattern(r"(?i)\b(\d+)\s+(?:unit\s+)?tests?\s+failed\b")
_NEGATION = Pattern(
    r"(?i)\b(?:not|never|no longer|cannot|doesnt|dont|didnt|isnt|arent|wont|cant)\b|n't\b"
)


def claimed_outcome(*texts: str, exception_type: str | None = None) -> Outcome:
    """The learner's claim about their tests, from their words, traceback and output."""
    fails = exception_type == "AssertionError"
    passes = False
    for text in texts:
        if not text:
            continue
        tally = [int(m.group(1)) for m in _TALLY.finditer(text)]
        if any(tally):
            return Outcome.fails
        if tally:
            text = _TALLY.sub(" ", text)
        for m in _PASS.finditer(text):
            if _NEGATION.search(m.group(0)):
                fails = True
            else:
                passes = True
        fails = fails or _FAIL.search(text) is not None
    if passes and fails:
        return Outcome.unknown
    return Outcome.passes if passes else Outcome.fails if fails else Outcome.unknown
