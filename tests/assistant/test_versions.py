"""Notebook version comparison and versions stated in chat messages."""

from __future__ import annotations

import pytest

from assistant.chat import is_follow_up
from assistant.versions import at_or_after, compare_versions, stated_version

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("3", "3", 0), ("3", "3a", -1), ("3a", "3b", -1), ("3b", "4", -1), ("4", "4.1", -1),
        ("4.1", "4.10", -1), ("10", "9", 1), ("v3", "3", 0), ("3A", "3a", 0), ("3a", "3.1", -1),
    ],
)  # fmt: skip
def test_compare_versions(a: str, b: str, expected: int) -> None:
    assert compare_versions(a, b) == expected
    assert compare_versions(b, a) == -expected


def test_at_or_after_fixed_version() -> None:
    assert at_or_after("3a", "3a") and at_or_after("4", "3a")
    assert not at_or_after("3", "3a")
    assert not at_or_after("", "3") and not at_or_after("3", "")


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("I'm on version 3a", "3a"), ("notebook v4.1 here", "4.1"), ("Version: 2", "2"),
        ("tensorflow version 2.9", None), ("numpy v1.26 breaks it", None),
        ("my version is 5", "5"), ("what version?", None),
        ("tf.compat.v1.disable_eager_execution() then I'm on v2", "2"),
        ("https://example.org/api/v1/ask", None), (r"C:\\nb\\v3\\x.ipynb", None),
        ("v1 of the notebook", "1"),
    ],
)  # fmt: skip
def test_stated_version(text: str, version: str | None) -> None:
    assert stated_version(text) == version


def test_is_follow_up() -> None:
    assert is_follow_up("still failing")
    assert is_follow_up("Same error as before, any other idea?")
    assert is_follow_up("I'm on version 3a")
    assert not is_follow_up("AssertionError: Wrong values for dWf in lstm_backward_test")
    assert not is_follow_up("still " + "word " * 40)
