"""Numeric output matching across formats."""

from __future__ import annotations

import pytest

from assistant.matching import MatchKind, compare, match_erratum

pytestmark = pytest.mark.nodb

CORRECTED = """a_next[4] = [-0.66408471  0.24033931 -0.88003245  0.43214545 -0.11111111]
a_next.shape = (5, 10)
yt_pred[1] = [0.9888161  0.01682021 0.21140899]"""
PUBLISHED = """a_next[4] = [-0.59584544  0.24033931 -0.88003245  0.43214545 -0.11111111]
a_next.shape = (5, 10)
yt_pred[1] = [0.9888161  0.01682021 0.21140899]"""


def test_compare_same_numbers_different_formatting_matches() -> None:
    actual = "a_next[4] = array([-0.66408471, 0.24033931, -0.88003245, 0.43214545, -0.11111111])"
    assert compare(actual, CORRECTED).matched


def test_compare_fewer_printed_digits_matches() -> None:
    assert compare("a_next[4]: [-0.664 0.240 -0.880 0.432 -0.111]", CORRECTED).matched


def test_compare_rounding_difference_beyond_precision_does_not_match() -> None:
    assert not compare("a_next[4] = [-0.665 0.240 -0.880 0.432 -0.111]", CORRECTED).matched


def test_compare_relative_tolerance() -> None:
    assert compare("cost = 0.6931472", "cost = 0.69314718").matched
    assert compare("cost = 6.931472e-01", "cost = 0.6931471805599453").matched
    assert not compare("cost = 0.6935", "cost = 0.6931471805599453").matched


def test_compare_one_disagreeing_name_is_a_mismatch() -> None:
    actual = "a_next[4] = [-0.66408471 0.24033931 -0.88003245 0.43214545 -0.11111111]\n"
    actual += "yt_pred[1] = [0.5 0.01682021 0.21140899]"
    assert not compare(actual, CORRECTED).matched


def test_compare_unnamed_multiline_numpy_print() -> None:
    ref = "dW1 = [[ 0.41010002  0.07807203 -0.20887514]\n [-0.01731345 -0.07218219 0.02035813]]"
    actual = "[[ 0.41010002  0.07807203 -0.20887514]\n [-0.01731345 -0.07218219  0.02035813]]"
    assert compare(actual, ref).matched


def test_compare_unnamed_slice_of_reference() -> None:
    assert compare("[0.24033931, -0.88003245]", CORRECTED).matched


def test_compare_tensor_against_plain_list() -> None:
    actual = "tf.Tensor([[0.5 0.25]\n [1.  0.  ]], shape=(2, 2), dtype=float32)"
    assert compare(actual, "Expected output: [[0.5, 0.25], [1.0, 0.0]]").matched


def test_compare_single_unnamed_number_is_too_weak() -> None:
    assert not compare("3", "3").matched


def test_compare_named_scalar_matches() -> None:
    assert compare("cost = 0.2797", "cost: 0.27970").matched


def test_compare_nothing_numeric() -> None:
    assert not compare("no numbers here", CORRECTED).matched


def test_match_erratum_tells_corrected_from_published() -> None:
    mine = "a_next[4] = [-0.66408471  0.24033931 -0.88003245  0.43214545 -0.11111111]"
    assert match_erratum(mine, corrected_output=CORRECTED, published_output=PUBLISHED) == (
        MatchKind.corrected
    )
    theirs = "a_next[4] = [-0.59584544  0.24033931 -0.88003245  0.43214545 -0.11111111]"
    assert match_erratum(theirs, corrected_output=CORRECTED, published_output=PUBLISHED) == (
        MatchKind.published
    )


def test_match_erratum_ambiguous_when_both_match() -> None:
    shared = "yt_pred[1] = [0.9888161  0.01682021 0.21140899]"
    assert match_erratum(shared, corrected_output=CORRECTED, published_output=PUBLISHED) is None


def test_match_erratum_no_match_for_other_numbers() -> None:
    other = "a_next[4] = [0.1 0.2 0.3 0.4 0.5]"
    assert match_erratum(other, corrected_output=CORRECTED, published_output=PUBLISHED) is None


def test_a_pasted_line_of_code_is_not_an_output_that_matches_an_erratum() -> None:
    # A learner pastes their He-initialisation line; its only numbers are 1 and 2 (``l-1``,
    # ``2 /``). Rounded to whole numbers they agree with a corrected output of 1.5s, which says
    # nothing: the notebook must not be declared wrong on it.
    code = "parameters['W' + str(l)] = np.random.randn(dims[l], dims[l-1]) * np.sqrt(2 / dims[l])"
    corrected = "[[-1.5 -1.5 -1.5]\n [ 1.5  1.5  1.5]]"
    published = "[[-1.  0.  1.]\n [-1.  0.  1.]]"
    assert match_erratum(code, corrected_output=corrected, published_output=published) is None
    assert not compare("1 2", corrected).matched
    # The same erratum's outputs, pasted as printed, still match: six numbers agree.
    assert match_erratum(corrected, corrected_output=corrected, published_output=published) == (
        MatchKind.corrected
    )
    assert match_erratum(published, corrected_output=corrected, published_output=published) == (
        MatchKind.published
    )


def test_a_value_printed_under_another_label_is_not_the_published_one() -> None:
    # The notebook prints one line per case, labelled in words. The learner's 1/7 belongs to
    # "intersecting boxes"; the erratum is about the "touch at vertices" line, where the learner
    # prints 0.0, the correction. Compared by position, the 1/7 matched the published line.
    actual = (
        "iou for intersecting boxes = 0.14285714285714285\n"
        "iou for non-intersecting boxes = 0.0\n"
        "iou for boxes that only touch at vertices = 0.0\n"
        "iou for boxes that only touch at edges = 0.0"
    )
    kind = match_erratum(
        actual,
        published_output="iou for boxes that only touch at vertices = 0.14285714285714285",
        corrected_output="iou for boxes that only touch at vertices = 0.0",
    )
    assert kind == MatchKind.corrected


def test_a_labelled_print_matches_the_same_label_however_it_is_spaced() -> None:
    assert compare(
        "Cost after iteration 0:  0.69304974", "Cost after iteration 0: 0.6930497356599891"
    ).matched
    assert not compare(
        "Cost after iteration 0: 0.7717", "Cost after iteration 0: 0.6930497356599891"
    ).matched
