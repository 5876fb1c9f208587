"""Notebook versions as courses write them ("3", "3a", "4.1", "v2"): their order, and which
versions an erratum concerns. The one place these rules live: the known-errata list of the
notebook widget, the errata workflow and the assistant's verdicts all ask here, so a learner on
"v3" or "3A" gets the same answer from each."""

from __future__ import annotations

from core.linear_regex import Pattern, cap

_PART = Pattern(r"\d+|[a-z]+")


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """A sortable key: numbers compare as numbers, a letter suffix comes after its number
    ("3" < "3a" < "3b" < "4"), a dotted number after a letter ("3a" < "3.1"), case and a
    leading "v" do not count ("V3" == "3")."""
    text = cap(version).strip().lower()
    if text.startswith("v") and text[1:2].isdigit():
        text = text[1:]
    key: list[tuple[int, int, str]] = []
    for part in _PART.findall(text):
        if part.isdigit():
            # int() of a pasted 5,000-digit run is slow (and refused by Python): clip it.
            key.append((1, int(part) if len(part) <= 18 else 10**18, ""))
        else:
            key.append((0, 0, part))
    return tuple(key)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is older than, equal to or newer than ``b``."""
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def at_or_after(version: str, fixed_in: str) -> bool:
    """True when ``version`` already includes a fix shipped in ``fixed_in``."""
    if not version.strip() or not fixed_in.strip():
        return False
    return compare_versions(version, fixed_in) >= 0


def affects(affected_versions: str | None, version: str | None) -> bool:
    """The erratum concerns ``version``: no version known, no list ("all versions"), or the
    version is one of the list's items ("2, 3, 3a"; whole items, in version order: "v3" is 3)."""
    listed = [v for v in (affected_versions or "").split(",") if v.strip()]
    if not version or not version.strip() or not listed:
        return True
    key = version_key(version)
    return any(version_key(v) == key for v in listed)
