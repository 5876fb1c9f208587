"""Versions stated in chat messages."""

from __future__ import annotations

import pytest

from assistant.chat import is_follow_up
from assistant.versions import stated_version

pytestmark = pytest.mark.nodb


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
