"""The RE2 patterns find exactly what the lookaround patterns they replace found (on short text,
where Python's backtracking ``re`` is still quick enough to serve as the reference)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import parsing, versions
from core.linear_regex import Pattern, translate

# The patterns as they were, on Python's re (the specification), and their replacements.
REFERENCE = {
    "snake": (
        re.compile(r"(?<![\w.])([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+)(?![\w])"),
        parsing._SNAKE,
    ),
    "dotted": (
        re.compile(r"(?<![\w.])((?:np|tf|torch|keras|nn|F|jnp|pd)(?:\.[A-Za-z_]\w*)+)"),
        parsing._DOTTED,
    ),
    "call": (re.compile(r"(?<![\w.])([A-Za-z_]\w*)\("), parsing._CALL),
    "param": (
        re.compile(
            r"(?<![\w.])([A-Za-z]{1,3}\d{1,2}[a-z]?|[a-z]{1,2}[A-Z][A-Za-z]{0,3}\d{0,2})(?![\w])"
        ),
        parsing._PARAM,
    ),
    "camel error": (
        re.compile(r"\b([A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception|Warning))\b"),
        parsing._CAMEL_ERROR,
    ),
    "number": (
        re.compile(
            r"(?<![\w.])([-+]?(?:(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf))(?![\w])",
            re.IGNORECASE,
        ),
        parsing.NUMBER,
    ),
    "test result": (
        re.compile(r"\b(\d+\s+tests?\s+(?:passed|failed))", re.IGNORECASE),
        parsing._TEST_RESULT,
    ),
    "wrong phrase": (
        re.compile(
            r"\b((?:wrong|incorrect|unexpected|mismatch(?:ed)?|invalid)\s+"
            r"(?:values?|outputs?|shapes?|types?|dimensions?|results?|number|length|dtype)"
            r"\b[^\n.;]{0,60})",
            re.IGNORECASE,
        ),
        parsing._WRONG_PHRASE,
    ),
    "stated version": (
        re.compile(
            r"\b(?:version|ver\.?|notebook\s+v|v)\s*(?:is\s+|=\s*|:\s*)?"
            r"(\d+[a-z]?(?:\.\d+)*[a-z]?)\b",
            re.IGNORECASE,
        ),
        versions._STATED,
    ),
    "path": (
        re.compile(r'(?:File\s+)?(?:"[^"\n]*\.py"|(?<![~/.\w-])[~/.\w-]*/[\w./-]+\.py(?::\d+)?)'),
        parsing._PATH,
    ),
    "meta": (
        re.compile(
            r"\b(?:dtype|shape|device|name)\s*=\s*(?:\([^)]*\)|[\w.:'\"/]+)|\bdtype\s*:\s*[\w.]+"
        ),
        parsing._META,
    ),
}

PIECES = [
    "a", "b", "x", "_", ".", " ", "\n", "(", ")", "/", "~", "-", ":", "=", ",", ";", "'", '"',
    "1", "23", "0.5", "e", "E-3", "nan", "inf", "dW1", "db", "Wax", "a_next", "np", "tf",
    "Value", "Error", "Key", "test", "tests", " passed", "wrong", " values", "version", "v",
    "3a", ".py", "File ", "dtype", "shape", "é", "\xa0", "٣", "Ω",
]  # fmt: skip


def spans(pattern: object, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_linear_pattern_matches_what_the_lookaround_pattern_matched(name: str, text: str) -> None:
    old, new = REFERENCE[name]
    assert spans(new, text) == spans(old, text)
    assert [m.group(0) for m in new.finditer(text)] == [m.group(0) for m in old.finditer(text)]


def test_name_line_separator_not_followed_by_equals() -> None:
    assert parsing._name_line("a_next[4] = [1, 2]") == ("a_next[4]", "[1, 2]")
    assert parsing._name_line("cost:   0.5") == ("cost", "0.5")
    assert parsing._name_line("a == b") is None


def test_assert_message_in_either_quote() -> None:
    text = "assert x.shape == (2,), \"Wrong shape\"\nassert ok, f'Wrong values for {n}'"
    assert parsing.parse(text).assertions[:2] == ["Wrong shape", "Wrong values for {n}"]


@pytest.mark.parametrize(
    ("python", "expected"),
    [
        (r"\w+", "[\\p{L}\\p{N}_]+"),
        (r"[^\w.]", "[^\\p{L}\\p{N}_.]"),
        (r"\d", "[\\p{Nd}]"),
        (r"\W", "[^\\p{L}\\p{N}_]"),
        (r"[]\w]", "[]\\p{L}\\p{N}_]"),
        (r"\(\.\)", r"\(\.\)"),
    ],
)
def test_translate_spells_python_classes_for_re2(python: str, expected: str) -> None:
    assert translate(python) == expected


def test_unicode_classes_match_python_str_semantics() -> None:
    text = "café_٣ x\xa0y\u2003z"
    assert Pattern(r"\w+").findall(text) == re.findall(r"\w+", text)
    assert Pattern(r"\s").findall(text) == re.findall(r"\s", text)


def test_sub_takes_a_function_of_the_match_as_re_does() -> None:
    link = Pattern(r"\[([^\]\n]+)\]\([^)\s]*\)")
    text = "see [the notebook](https://x.org/nb) and [cell 3](#c3)"
    assert link.sub(lambda m: m.group(1), text) == re.sub(link.pattern, r"\1", text)
    assert link.sub("LINK", text) == "see LINK and LINK"
