"""The notebook version a learner states in words ("I'm on version 3a"). Their order and
which versions an erratum concerns are the errata domain's (``errata.versions``)."""

from __future__ import annotations

from core.linear_regex import Pattern, cap

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
