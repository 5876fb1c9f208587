"""Notebook versions as courses write them: "3", "3a", "4.1", "v2"."""

from __future__ import annotations

from core.linear_regex import Pattern, cap

_PART = Pattern(r"\d+|[a-z]+")


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """A sortable key: numbers compare as numbers, a letter suffix comes after its number
    ("3" < "3a" < "3b" < "4"), and a dotted number after a letter ("3a" < "3.1")."""
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


# "\b" on both sides, as consumed context around group "mc" (RE2's own \b is ASCII-only).
_STATED = Pattern(
    r"(?i)(?:\A|\W)(?P<mc>(?:version|ver\.?|notebook\s+v|v)\s*(?:is\s+|=\s*|:\s*)?"
    r"(\d+[a-z]?(?:\.\d+)*[a-z]?))(?:\W|\z)",
)


_LIBRARY = Pattern(
    r"(?i)(?:python|numpy|np|tensorflow|tf|torch|pytorch|keras|jupyter|cuda|pandas|scipy|sklearn)"
    r"[\s,:=-]*$",
)


def stated_version(text: str) -> str | None:
    """The notebook version a learner states in words: "I'm on version 3a", "notebook v4.1";
    not a library's ("tensorflow version 2.9", "numpy v1.26"), nor a part of a dotted name or
    a path ("tf.compat.v1", "/api/v1/ask")."""
    text = cap(text)
    for m in _STATED.finditer(text):
        if m.start() > 0 and text[m.start() - 1] in "./\\":  # "tf.compat.v1", "/v1/"
            continue
        if not _LIBRARY.search(text[max(0, m.start() - 24) : m.start()]):
            return m.group(1).lower()
    return None
