"""Notebook version order, and which versions an erratum concerns (``errata.versions``)."""

from __future__ import annotations

import pytest

from errata.versions import affects, at_or_after, compare_versions

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
    ("affected", "version", "expected"),
    [
        ("", "3", True), ("2, 3", "", True), ("2, 3", None, True), ("2,3", "3", True),
        ("2, 3", "V3", True), ("3a", "3A", True), ("3a", "3", False), ("2, 3", "4", False),
        (" , ", "4", True), ("3.1", "3-1", True), ("13", "3", False),
    ],
)  # fmt: skip
def test_affects_matches_whole_items_in_version_order(
    affected: str, version: str | None, expected: bool
) -> None:
    assert affects(affected, version) is expected
