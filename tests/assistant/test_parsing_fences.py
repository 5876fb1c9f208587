"""Markdown code fences in a learner's post (issue #13): forum posts fence what they paste. A
fenced message (a test's verdict, an error in words, their output described) is what the learner
saw and must speak; fenced code must not read as the learner's words."""

from __future__ import annotations

import pytest

from assistant.parsing import parse

pytestmark = pytest.mark.nodb

POST = """My dropout backward is off:
```python
# GRADED FUNCTION: backward_propagation_with_dropout
dA2 = np.dot(W3.T, dZ3)
dA2 = dA2 * D2
def helper(x):
    return x
np.random.seed(1)
Gradient of the second hidden layer does not match the expected values
```
"""


def test_a_fenced_message_is_read_as_the_learners_words() -> None:
    prose = parse(POST).prose
    assert "does not match the expected values" in prose
    assert "My dropout backward is off" in prose


def test_fenced_code_is_not_read_as_the_learners_words() -> None:
    prose = parse(POST).prose
    for code in ("GRADED FUNCTION", "np.dot", "def helper", "return x", "seed"):
        assert code not in prose


def test_a_question_fenced_whole_reads_as_the_same_question() -> None:
    question = "Operands could not be broadcast together with shapes (8, 8, 6) (4, 4, 6)"
    plain, fenced = parse(question), parse(f"```\n{question}\n```")
    assert fenced.prose == plain.prose != ""
    assert fenced.terms() == plain.terms()


def test_a_fence_never_hides_the_exception() -> None:
    fenced = parse("```\nValueError: shapes (5,3) and (10,1) not aligned\n```")
    assert fenced.exception_type == "ValueError"
    assert fenced.exception_message == "shapes (5,3) and (10,1) not aligned"
