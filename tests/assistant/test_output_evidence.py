"""What counts as an output match (issue #13): evidence specific enough to tell a learner their
code is right, and coincidences that must not."""

from __future__ import annotations

import pytest

from assistant.matching import MatchKind, match_erratum, match_quoted
from assistant.parsing import parse

pytestmark = pytest.mark.nodb

Z_PUBLISHED = "Z's mean =\n 0.5511276474566768"
Z_CORRECTED = "Z's mean =\n 0.4427056509973153"
W1 = (
    "W1 = [[ 1.78862847  0.43650985]\n [ 0.09649747 -1.8634927 ]\n"
    " [-0.2773882  -0.35475898]\n [-0.08274148 -0.62700068]]"
)
W1_SCALED = "W1 scaled = [[ 2.52950547  0.61731036]\n [ 0.13646302 -2.63535429]]"


def test_one_precise_number_matches_a_lone_printed_value() -> None:
    kind = match_erratum(
        "Z's mean =\n 0.44270565", corrected_output=Z_CORRECTED, published_output=Z_PUBLISHED
    )
    assert kind == MatchKind.corrected


def test_one_number_inside_a_matrix_is_a_coincidence() -> None:
    corrected = "[[0.3874556  0.         0.30127215]\n [0.33333334 0.33333334 0.        ]]"
    published = "[[0.2589478  0.42693272 0.15705977]\n [0.2772748  0.2772748  0.16817567]]"
    mine = "Your backward propagation works perfectly fine! difference = 0.3333333333333333"
    assert match_erratum(mine, corrected_output=corrected, published_output=published) is None


def test_short_number_is_no_evidence() -> None:
    kind = match_erratum("mean = 0.44", corrected_output="0.44", published_output="0.55")
    assert kind is None


def test_printed_string_equal_to_the_correction_matches() -> None:
    kind = match_erratum(
        "'hello world it s me'",
        corrected_output="'hello world it s me'",
        published_output="'hello world its me'",
    )
    assert kind == MatchKind.corrected


def test_values_only_the_correction_prints_decide_between_both() -> None:
    corrected = f"{W1}\n{W1_SCALED}"
    assert match_erratum(corrected, corrected_output=corrected, published_output=W1) == (
        MatchKind.corrected
    )
    # Only what both print: nothing tells them apart.
    assert match_erratum(f"W1 = {W1[5:]}", corrected_output=corrected, published_output=W1) in (
        MatchKind.published,
        None,
    )


@pytest.mark.parametrize(
    ("question", "matched"),
    [
        ("Is the expected cost under propagate wrong? I get 2.0424567983978403", True),
        ("expected 2.0424567983978403 but mine is 1.5", False),  # the notebook's number
        ("my cost is 2.04 instead", False),  # too few digits to tell
        ("the notebook shows 5.80154532, is that right", False),  # the published one
    ],
)
def test_numbers_the_learner_quotes_as_theirs(question: str, matched: bool) -> None:
    quoted = parse(question).quoted
    result = match_quoted(
        quoted, corrected_output="cost = 2.0424567983978403", published_output="cost = 5.80154532"
    )
    assert result is matched
