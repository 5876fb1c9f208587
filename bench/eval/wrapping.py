"""Forum chatter around the questions: the robustness run (``run.py --chatter FILE``).

Real posts open with a greeting, close with thanks and a plea, and drop in an aside that says
nothing about the bug. ``wrap`` adds that to a question's text, the same way on every run (the
choice is a hash of the question's id): an opener to 70% of questions, a closer to 70%, an
aside after the first sentence (or the first line) to 30%; a pasted question gets them on
lines of their own. The traceback and output fields are left alone.

``data/chatter/dev.json`` holds the phrases ``assistant/chatter.py`` was written against;
``data/chatter/heldout.json`` was written by someone who had not seen that code, and only it
measures how well the stripping generalises. Never change the stripping because of a
held-out miss (that turns it into dev, as with the test split).

``typos`` (``run.py --typos``) swaps two neighbouring letters in one word of four of six
letters or more (lowercase words only: not code names), the same way on every run.

``markdown`` (``run.py --markdown``) writes each question as a Markdown forum post: a pasted
question inside a code fence, the code names of a described one in backticks. It needs no
phrase file; with ``--chatter`` the chatter goes around the fence.

``library_frames`` (``run.py --library-frames``) puts the frames a real traceback shows inside
numpy or TensorFlow/Keras (two of them, with their source lines, in the traceback's own style:
IPython's ``File path:N, in f(...)`` or Python's ``File "path", line N, in f``) just above the
final exception line of every pasted traceback, as learners paste them from a notebook.

``grader`` (``run.py --grader``) replaces every pasted traceback with the report a course
platform's autograder gives for the same failure, as learners paste it from the submission
page: ``Code Cell UNQ_C3: Unexpected error (AssertionError('Wrong values for dW')) occurred
during function check. We expected function `linear_backward` to return Test 2 failed. Please
check that this function is defined properly.`` (Coursera's wording). The report keeps the
exception and the learner's function (the deepest notebook frame, else the function the failing
test was called with) and loses every frame, source line and path. The prose around is kept.

``ipython7`` (``run.py --ipython7``) writes every IPython 8 traceback as IPython 7 (Jupyter before
2023, most course forums' archives) printed it: ``Cell In[12], line 3`` becomes
``<ipython-input-12-…> in <module>``, ``Cell In[4], line 23, in f(a, b)`` becomes
``<ipython-input-4-…> in f(a, b)``, ``File ~/work/public_tests.py:58, in t(target)`` becomes
``~/work/public_tests.py in t(target)``. Source lines, arrows and the exception stay.

``code`` (``run.py --code``) adds the function the learner is stuck on as they paste it into a
post ("here is my code:"), half of them in a code fence and half not (Discourse shows an
unfenced paste as it is): its signature, the notebook's docstring (a summary, ``Arguments:``
and ``Returns:`` with a description of each name), the template's ``### START CODE HERE ###``
markers and its ``return``. Only questions that name a function get one (the first snake_case
name that is not a test's; arguments are the other code names the question uses, else generic
ones). The learner's own lines are not simulated: written from the answer they would leak it,
written at random they would be someone else's bug. What is measured is the template's words
(a docstring is a paragraph of the course's vocabulary) read as the learner's.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

KINDS = ("openers", "closers", "asides")
_LONG_WORD = re.compile(r"(?<![\w.])[a-z]{6,}(?![\w.])")
# What a learner puts in backticks: snake_case names and names with digits (dW1, a_next).
_CODE_NAME = re.compile(r"\b([A-Za-z_]\w*_\w*|[A-Za-z]+\d\w*)\b")


def load(path: Path) -> dict[str, list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in KINDS if not data.get(k)]
    if missing:
        raise ValueError(f"{path}: no {', '.join(missing)} (need lists of strings)")
    return {k: [str(p) for p in data[k]] for k in KINDS}


def _draw(qid: str, kind: str, n: int) -> tuple[float, int]:
    digest = hashlib.sha1(f"{qid}:{kind}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32, int.from_bytes(digest[4:8], "big") % n


def wrap(raw: dict[str, Any], phrases: dict[str, list[str]]) -> dict[str, Any]:
    """``raw`` with chatter around its question (a new dict)."""
    qid, text = str(raw["id"]), str(raw["question"])
    # A pasted error sits on its own lines, the chatter around it too.
    sep = "\n" if "\n" in text or raw.get("style") == "pasted" else " "
    chance, i = _draw(qid, "asides", len(phrases["asides"]))
    if chance < 0.3:
        first_line = text.split("\n", 1)[0]
        end = next((k + 1 for k, ch in enumerate(first_line) if ch in ".?!" and text[k + 1 : k + 2]
                    in (" ", "\n")), len(first_line))  # fmt: skip
        text = f"{text[:end]} {phrases['asides'][i]}{text[end:]}"
    chance, i = _draw(qid, "openers", len(phrases["openers"]))
    if chance < 0.7:
        text = f"{phrases['openers'][i]}{sep}{text}"
    chance, i = _draw(qid, "closers", len(phrases["closers"]))
    if chance < 0.7:
        text = f"{text}{sep}{phrases['closers'][i]}"
    return {**raw, "question": text}


def thread(record: dict[str, Any], phrases: dict[str, list[str]]) -> dict[str, Any]:
    """A thread record (a new dict) with chatter around its question post, as real threads open
    ("Hi everyone, ...") and close ("Thanks in advance!"); errata are returned as they are."""
    if record.get("type") != "thread":
        return record
    post = {"id": record["external_id"], "question": str(record.get("body") or "")}
    return {**record, "body": wrap(post, phrases)["question"]}


def markdown(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` as a Markdown post (a new dict): a pasted question fenced, a described one with
    its code names in backticks."""
    text = str(raw["question"])
    if raw.get("style") == "pasted" or "\n" in text:
        text = f"```\n{text}\n```"
    else:
        text = _CODE_NAME.sub(r"`\1`", text)
    return {**raw, "question": text}


# Frames as numpy and TensorFlow print them (site-packages paths, their own source lines): two
# per flavour, in IPython's and in Python's style.
FRAMES = Path(__file__).with_name("data") / "library_frames.json"
# The final exception line: "ValueError: ...", also coloured ("\x1b[0;31mValueError\x1b[0m: ...").
_FINAL_ERROR = re.compile(r"^(?:\x1b\[[0-9;]*m)*[\w.]*(?:Error|Exception)\b", re.M)


@cache
def _frames() -> dict[str, list[str]]:
    return dict(json.loads(FRAMES.read_text(encoding="utf-8")))


def library_frames(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with numpy or TensorFlow frames above its traceback's final exception line (a
    new dict); a question without a traceback is returned as it is."""
    field = next(
        (
            f
            for f in ("traceback", "question")
            if "Traceback (most recent call last)" in str(raw.get(f) or "")
            or "Cell In[" in str(raw.get(f) or "")
        ),
        None,
    )
    if field is None:
        return raw
    text = str(raw[field])
    last = None
    for m in _FINAL_ERROR.finditer(text):
        last = m
    if last is None:
        return raw
    _, i = _draw(str(raw["id"]), "frames", 2)
    ipython = "Cell In[" in text or "File ~" in text
    frames = _frames()["ipython" if ipython else "python"][i]
    gap = "\n" if ipython else ""
    return {**raw, field: f"{text[: last.start()]}{frames}{gap}{text[last.start() :]}"}


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TRACEBACK_START = re.compile(
    r"^\s*(?:-{5,}|Traceback \(most recent call last\)|Cell In\s*\[|File [\"~/]|<ipython-input-)"
    r"|^\s*\w*(?:Error|Exception)\s+Traceback \(most recent call last\)"
)
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)*(\w*(?:Error|Exception))\b(?:\s*:\s*(.*))?$")
_FRAME_NAME = re.compile(
    r"(?:File \"([^\"]*)\", line \d+, in |File (\S+?):\d+, in |Cell In\s*\[\d+\], line \d+, in )"
    r"([A-Za-z_]\w*)"
)
_NOT_GRADED = re.compile(r"site-packages|dist-packages|/lib/python|test")
_TEST_CALL = re.compile(r"(?:-+>\s*)?\d*\s*\w*test\w*\(\s*([A-Za-z_]\w*)\s*[,)]")


def _is_test(name: str) -> bool:
    """A course test's name (``rnn_forward_test``, ``test_zero_pad``), not a learner's function."""
    return name.startswith("test") or name.endswith(("_test", "_tests"))


def _reported_function(lines: list[str]) -> str | None:
    """The function the grader checks: the one the cell handed to a test, else the outermost
    notebook function in the traceback."""
    called = [m.group(1) for line in lines for m in _TEST_CALL.finditer(line)]
    if called:
        return called[0]
    names = [
        m.group(3)
        for line in lines
        for m in _FRAME_NAME.finditer(line)
        # Library frames and the course's test helpers (public_tests.py, test_utils.py).
        if not _NOT_GRADED.search(m.group(1) or m.group(2) or "") and not _is_test(m.group(3))
    ]
    return names[0] if names else None


def grader(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with its traceback replaced by the autograder's report of it (a new dict); a
    question with no traceback, or none that names a function, is returned as it is."""
    for field in ("traceback", "question"):
        text = str(raw.get(field) or "")
        lines = _ANSI.sub("", text).split("\n")
        start = next((i for i, line in enumerate(lines) if _TRACEBACK_START.search(line)), None)
        if start is None:
            continue
        ends = [i for i in range(start, len(lines)) if _EXCEPTION_LINE.match(lines[i].strip())]
        function = _reported_function(lines[start:])
        if not ends or function is None:
            return raw
        end = ends[-1]
        m = _EXCEPTION_LINE.match(lines[end].strip())
        assert m is not None
        kind, message = m.group(1), (m.group(2) or "").strip()
        cell = _draw(str(raw["id"]), "cell", 8)[1] + 1
        test = _draw(str(raw["id"]), "test", 3)[1] + 1
        report = (
            f"Code Cell UNQ_C{cell}: Unexpected error ({kind}({repr(message) if message else ''}))"
            f" occurred during function check. We expected function `{function}` to return Test"
            f" {test} failed. Please check that this function is defined properly."
        )
        kept = [*lines[:start], report, *lines[end + 1 :]]
        return {**raw, field: "\n".join(kept).strip("\n")}
    return raw


_CHECKED = re.compile(r"^Wrong (values?|shape) for (.+?)\.?$")
_UNITTEST = "Check your equations and avoid using global variables inside the function."


def test_utils(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with a failing assertion reported as the courses' ``test_utils.multiple_test``
    prints it (a new dict): an ``Error: Wrong output for variable …`` line for the value the
    test checked, by name or by position (``multiple_test`` prints one per failed case; the
    tally below may count two, the other line is not simulated), the tally (`` 2  Tests
    passed``, `` 1  Tests failed``), then one assertion that names only the function and warns
    about global variables. The test's own message and its frames are gone. Questions whose
    traceback ends in another exception, or whose cell calls no test, are returned as they
    are."""
    qid = str(raw["id"])
    for field in ("traceback", "question"):
        lines = _ANSI.sub("", str(raw.get(field) or "")).split("\n")
        start = next((i for i, line in enumerate(lines) if _TRACEBACK_START.search(line)), None)
        if start is None:
            continue
        calls = ((i, _TEST_CALL.search(lines[i])) for i in range(start, len(lines)))
        call, function = next(((i, f) for i, f in calls if f is not None), (None, None))
        ends = [i for i in range(start, len(lines)) if _EXCEPTION_LINE.match(lines[i].strip())]
        if call is None or function is None or not ends:
            return raw
        m = _EXCEPTION_LINE.match(lines[ends[-1]].strip())
        assert m is not None
        if m.group(1) != "AssertionError":
            return raw
        test = re.search(r"(\w*test\w*)\(", lines[call])
        assert test is not None
        checked = _CHECKED.match((m.group(2) or "").strip())
        kind = "shape" if checked and checked.group(1) == "shape" else "output"
        name = checked.group(2) if checked else None
        position = _draw(qid, "position", 3)[1]
        by_name = name is not None and _draw(qid, "by-name", 2)[1] == 0
        variable = f"variable {name}" if by_name else f"variable in position {position}"
        passed, failed = _draw(qid, "passed", 3)[1] + 1, _draw(qid, "failed", 2)[1] + 1
        printed = [f"Error: Wrong {kind} for {variable}.",
                   f" {passed}  Tests passed", f" {failed}  Tests failed"]  # fmt: skip
        line = 20 + _draw(qid, "line", 200)[1]
        report = [
            "", f"File ~/work/public_tests.py:{line}, in {test.group(1)}(target)",
            f"---> {line}     multiple_test(test_cases, target)", "",
            "File ~/work/test_utils.py:142, in multiple_test(test_cases, target)",
            "    140         print('\\033[92m', success,\" Tests passed\")",
            "    141         print('\\033[91m', len(test_cases) - success, \" Tests failed\")",
            "--> 142         raise AssertionError(\"Not all tests were passed for {}. "
            f"{_UNITTEST}\".format(target.__name__))", "",
            f"AssertionError: Not all tests were passed for {function.group(1)}. {_UNITTEST}",
        ]  # fmt: skip
        # A pasted traceback's lines after its exception line continue the test's message
        # (numpy's "Mismatched elements: …"); in a question they may be the learner's words.
        tail = lines[ends[-1] + 1 :] if field == "question" else []
        kept = [*lines[:start], *printed, *lines[start : call + 1], *report, *tail]
        return {**raw, field: "\n".join(kept).strip("\n")}
    return raw


_CELL_FRAME = re.compile(r"^(\s*)Cell In\s*\[(\d+)\], line \d+(?:, in (.+))?$", re.M)
_FILE_FRAME = re.compile(r"^(\s*)File (<[^>\n]+>|\S+?):\d+, in (.+)$", re.M)


def ipython7(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with its IPython 8 frames written as IPython 7 wrote them (a new dict)."""
    out = dict(raw)
    for field in ("traceback", "question"):
        text = _ANSI.sub("", str(raw.get(field) or ""))
        if "Cell In[" not in text and "File ~" not in text and "File /" not in text:
            continue

        def cell(m: re.Match[str]) -> str:
            digest = hashlib.sha1(f"{raw['id']}:{m.group(2)}".encode()).hexdigest()[:12]
            return (
                f"{m.group(1)}<ipython-input-{m.group(2)}-{digest}> in {m.group(3) or '<module>'}"
            )

        text = _CELL_FRAME.sub(cell, text)
        out[field] = _FILE_FRAME.sub(lambda m: f"{m.group(1)}{m.group(2)} in {m.group(3)}", text)
    return out if out != raw else raw


def typos(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with two neighbouring letters swapped in one long word of four (a new dict)."""
    qid = str(raw["id"])

    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        digest = hashlib.sha1(f"{qid}:{m.start()}".encode()).digest()
        draw = int.from_bytes(digest[:4], "big")
        if draw % 4:
            return word
        i = 1 + draw % (len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    return {**raw, "question": _LONG_WORD.sub(swap, str(raw["question"]))}


# A function's name as learners write it: snake_case (not a test's); its arguments: short code
# names (dW, A_prev, W1) and snake_case ones.
_FUNCTION_NAME = re.compile(r"(?<![\w./])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w(]|\.\w)")
_ARGUMENT_NAME = re.compile(
    r"(?<![\w./])([A-Za-z][A-Za-z0-9]*_\w+|[a-z]{1,2}[A-Z]\w{0,4}|[A-Z]\d?)(?![\w(]|\.\w)"
)
_SUMMARIES = (
    "Implements the {words} step.",
    "Implement the {words} function of this exercise.",
    "Compute the {words} for the inputs below, using the helper functions defined above.",
)
_DESCRIPTIONS = (
    "numpy array of shape (n_x, m)",
    "python dictionary containing your parameters",
    "input data, of shape (number of examples, number of features)",
    "list of the sizes of each layer",
    "integer, the number of iterations of the loop",
    "tuple of values needed to compute the backward pass",
)
_RETURNS = (
    "the output of this step, a numpy array",
    "python dictionary containing the updated values",
    "the value computed above, same shape as the first argument",
)
_MARKERS = (
    ("### START CODE HERE ### (≈ {n} lines of code)", "### END CODE HERE ###"),
    ("# YOUR CODE STARTS HERE", "# YOUR CODE ENDS HERE"),
)


def _function_named(raw: dict[str, Any]) -> str | None:
    text = _ANSI.sub("", f"{raw.get('question') or ''}\n{raw.get('traceback') or ''}")
    return next((n for n in _FUNCTION_NAME.findall(text) if not _is_test(n)), None)


def code(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with the skeleton of the function it names pasted after it (a new dict); a
    question that names no function is returned as it is."""
    function = _function_named(raw)
    if function is None:
        return raw
    qid, text = str(raw["id"]), str(raw["question"])
    named = [n for n in _ARGUMENT_NAME.findall(text) if n != function and "test" not in n]
    args = list(dict.fromkeys(named))[:3] or ["X", "parameters"]

    def pick(kind: str, items: tuple[Any, ...]) -> Any:
        return items[_draw(qid, kind, len(items))[1]]

    start, end = pick("markers", _MARKERS)
    returned = "result"
    lines = [
        f"def {function}({', '.join(args)}):",
        '    """',
        f"    {pick('summary', _SUMMARIES).format(words=function.replace('_', ' '))}",
        "",
        "    Arguments:",
        *(f"    {a} -- {pick(a, _DESCRIPTIONS)}" for a in args),
        "",
        "    Returns:",
        f"    {returned} -- {pick('returns', _RETURNS)}",
        '    """',
        f"    {start.format(n=_draw(qid, 'lines', 4)[1] + 2)}",
        f"    {end}",
        f"    return {returned}",
    ]
    block = "\n".join(lines)
    if _draw(qid, "fence", 2)[1]:
        block = f"```python\n{block}\n```"
    return {**raw, "question": f"{text}\n\nhere is my code:\n\n{block}"}
