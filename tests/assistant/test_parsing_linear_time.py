"""Issue #11.1: what a learner pastes can't freeze the server; parser work grows linearly.

Work is counted, never timed: the characters the regex engine scans (``linear_regex.WORK``)
plus the Python calls the parser makes (``sys.setprofile``). Before the fix, the 29-byte question
``(1,11111111111111111111111111x`` made Python's backtracking ``re`` take seconds, doubling per
extra digit, with the GIL held.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import claims, grader_reports, matching, parsing, pasted_code, posts, versions
from core import linear_regex
from core.linear_regex import WORK
from errata import versions as errata_versions
from tests.assistant.conftest import World

BACKTRACKING_QUESTION = "(1,11111111111111111111111111x"


def work(fn: Callable[[str], Any], text: str) -> int:
    """Engine characters scanned plus Python-level calls made by ``fn(text)``."""
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        calls += 1

    WORK.reset()
    sys.setprofile(count)
    try:
        fn(text)
    finally:
        sys.setprofile(None)
    return WORK.chars + calls


def adversarial(unit: str, n: int, head: str = "", tail: str = "") -> str:
    body = (unit * (n // max(1, len(unit)) + 1))[:n]
    return head + body + tail


def assert_doubling_doubles_work(fn: Callable[[str], Any], unit: str) -> None:
    """Twice the text of repeated ``unit`` costs ``fn`` about twice the work, not four times."""
    small = work(fn, adversarial(unit, 3000))
    large = work(fn, adversarial(unit, 6000))
    assert large <= 2.5 * small + 2000, (unit, small, large)


def test_parser_modules_use_only_the_linear_engine() -> None:
    # Every module-level pattern is RE2-backed; no backtracking ``re`` pattern is left.
    for module in (parsing, posts, pasted_code, versions, claims, grader_reports, errata_versions):
        compiled = [v for v in vars(module).values() if isinstance(v, re.Pattern)]
        assert compiled == [], module.__name__
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        assert "import re\n" not in source
    assert isinstance(parsing._SHAPE, linear_regex.Pattern)


def test_parse_backtracking_question_does_linear_work() -> None:
    # The reported question, then with 2x, 4x and 8x the digits: the old pattern's work doubled
    # with every extra digit; now each doubling of the input at most doubles the work.
    sizes = [26, 52, 104, 208]
    counts = [work(parsing.parse, "(1," + "1" * n + "x") for n in sizes]
    for small, large in zip(counts, counts[1:], strict=False):
        assert large <= 2.2 * small, counts
    assert parsing.parse(BACKTRACKING_QUESTION).shapes == []


@pytest.mark.model
def test_ask_backtracking_question_answers_with_linear_work(
    client: TestClient, world: World
) -> None:
    WORK.reset()
    r = client.post("/api/v1/ask", json={"question": BACKTRACKING_QUESTION})
    assert r.status_code == 200, r.text
    assert r.json()["verdict"]
    first = WORK.chars
    # 2 000 and 4 000 digits through the real API: work grows with the text, not exponentially.
    measured = []
    for n in (2000, 4000):
        WORK.reset()
        r = client.post("/api/v1/ask", json={"question": "(1," + "1" * n + "x"})
        assert r.status_code == 200, r.text
        measured.append(WORK.chars)
    assert first < 20 * 1000
    assert measured[1] <= 2.2 * measured[0], measured


# Every parser entry point, fed adversarial text of n and 2n characters.

ENTRY_POINTS: dict[str, Callable[[str], Any]] = {
    "parse question": lambda s: parsing.parse(s),
    "parse traceback": lambda s: parsing.parse("help", traceback=s),
    "parse output": lambda s: parsing.parse("help", output=s),
    "parse_values": parsing.parse_values,
    "shapes": parsing.shapes,
    "prose": parsing.prose,
    "compare": lambda s: matching.compare(s, s),
    "match_erratum": lambda s: matching.match_erratum(
        s, corrected_output=s, published_output="1 2 3"
    ),
    "stated_version": versions.stated_version,
    "version_key": errata_versions.version_key,
}

UNITS = [
    "1",
    "1,",
    " 1,",
    "(1,",
    "((((",
    "[[[[",
    "(1, 2",
    "/",
    "a/",
    "./",
    'File "',
    'File "x.py", line 1, in f\n',
    "\x1b[31m",
    "a_",
    "dW1.",
    "1.",
    "1e",
    "array(",
    "assert x, '",
    "wrong values ",
    "Error: ",
    "version v",
    "ValueError: ",
    "\n ",
    "a = [",
    "k: every 'point' ",
    "**",
    "**a",
    "`",
    "> ",
    "![",
    "[a](",
    "&gt;",
    "<br>",
    "```\n",
    "> ```\n",
    # Autograder reports (assistant.grader_reports), whole and cut short.
    "Unexpected error (E('a')) occurred during function check. ",
    "Unexpected error (E('",
    "Function 'f' is incorrect. ",
    "We expected function `",
    # A test handed the function it checks, with a module prefix, cut short, repeated.
    "a.b_test(f",
    "x_test(a_test(",
    # Errors Keras wraps: the wrapper line, its paragraph, its argument list.
    "ValueError: Exception encountered when calling layer\n",
    "  • x=1\n",
]


def _entry_points() -> dict[str, Callable[[str], Any]]:
    from assistant.intake import strip_ansi
    from index.text import tokenize

    return {
        **ENTRY_POINTS,
        "tokenize": tokenize,
        "strip ansi": strip_ansi,
        "markdown off": posts.plain,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    unit=st.sampled_from(UNITS) | st.text(min_size=1, max_size=6),
    head=st.sampled_from(["", "(1,", "x = ", 'File "', 'assert y, "']),
    tail=st.sampled_from(["", "x", ")", "\n", ".py"]),
    entry=st.sampled_from(sorted(_entry_points())),
)
def test_parser_work_grows_linearly_on_adversarial_text(
    unit: str, head: str, tail: str, entry: str
) -> None:
    fn = _entry_points()[entry]
    n = 3000
    small = work(fn, adversarial(unit, n, head, tail))
    large = work(fn, adversarial(unit, 2 * n, head, tail))
    assert large <= 2.5 * small + 2000, (entry, unit, small, large)


# Units of the pasted forms the parser reads specially: autograder reports, Keras-wrapped and
# graph errors, IPython 7 frames, and the learner's own code (a function followed line by line,
# a statement told from a value in one read).
_PASTED_FORMS = [
    "Unexpected error (E('a')) occurred during function check. ",
    "Unexpected error (E('",
    "Function 'f' is incorrect. ",
    "ValueError: Exception encountered when calling layer\n",
    "ValueError: Exception encountered when calling layer\nx\n",
    "  • x=1\n",
    "~/work/a.py in f(x)\n",
    "/tmp/ipykernel_1/2.py in ",
    "InvalidArgumentError: Graph execution error:\nNode: 'a'\nx\n",
    "Node: 'a'\n",
    "def f(x):\n",
    '    """\n',
    "x = a * np.dot(b, c)\n",
    "dW = 1 / m * ",
    "### START CODE HERE ### (≈ 3 lines of code)\n",
    "for i in range(m):\n",
]


@pytest.mark.parametrize("unit", _PASTED_FORMS)
def test_pasted_forms_do_linear_work(unit: str) -> None:
    assert_doubling_doubles_work(parsing.parse, unit)


@pytest.mark.parametrize("unit", ["k: every 'point' ", "k: every word\n", "cost: 0.5 "])
def test_name_then_words_lines_do_linear_work(unit: str) -> None:
    # Deciding whether "name: ..." holds a value or the learner's words reads the line once.
    assert_doubling_doubles_work(parsing.parse, unit)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_parser_work_on_100k_characters_is_bounded_by_the_input_cap(entry: str) -> None:
    fn = ENTRY_POINTS[entry]
    text = adversarial("(1,1111", 100_000)
    capped = work(fn, text[: linear_regex.MAX_INPUT_CHARS])
    assert work(fn, text) <= 1.5 * capped + 2000


def test_title_cleaning_is_linear(session: Any) -> None:
    # One title rule for threads and errata (issue #12).
    from forum.service import clean_title

    small = work(clean_title, adversarial(" a", 60))
    large = work(clean_title, adversarial(" a", 120))
    assert large <= 2.5 * small + 50


@pytest.mark.parametrize(
    "unit",
    [
        "**a",
        "**a*",
        "__a_",
        "[a](",
        "![a](b",
        "> > ",
        "`",
        "&#",
        '[quote="a',
        "[/",
        "@a.",
        "<details ",
    ],
)
def test_taking_markdown_off_does_linear_work(unit: str) -> None:
    assert_doubling_doubles_work(posts.plain, unit)


def test_numbers_beyond_a_float_or_an_int_are_read_without_error() -> None:
    # Hypothesis found these: int() of a 6,000-digit run raises (Python's 4,300-digit limit),
    # and 10.0 ** 400 overflows; both were a 500 for the ask that pasted them.
    assert parsing.shapes("(1," + "1" * 6000 + ")") == []
    assert parsing.shapes("(5, 10) and (4,)") == [(5, 10), (4,)]
    assert parsing.number_ulp("1e400") > 0 and parsing.number_ulp("1.5e-400") == 0.0
    assert parsing.number_ulp("1e" + "9" * 5000) > 0
    parsed = parsing.parse("(1," + "1" * 6000 + "x", output="a = [1e400 2.0]\nb = 1e" + "9" * 5000)
    assert [v.numbers[1] for v in parsed.values if v.name == "a"] == [2.0]


@pytest.mark.model
def test_ask_with_overflowing_numbers_answers(client: TestClient, world: World) -> None:
    r = client.post(
        "/api/v1/ask",
        json={"question": "(1," + "1" * 6000 + "x my cost is 1e400", "output": "cost = 1e99999"},
    )
    assert r.status_code == 200, r.text
