"""The notebook's expected output for a failing cell: from the "Expected output" cell after it,
else from the failing test's own message ("Expected 3 but got 4").

Everything here is best effort and quiet: a notebook that can't be read, a cell that isn't saved
yet, or a message with no values gives "" and the ask goes on without it.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Notebooks bigger than this are not read (the kernel must answer quickly).
MAX_NOTEBOOK_BYTES = 20_000_000
# Lines longer than this are not searched for a test's message.
MAX_LINE_CHARS = 4_000
MAX_EXPECTED_CHARS = 4_000

_HEADING = re.compile(r"expected\s+outputs?", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_TAG = re.compile(r"<[^<>]{0,2000}>")
_BOLD = re.compile(r"\*\*|__|`")
_ROW = re.compile(r"<tr\b[^<>]{0,500}>(.*?)</tr\s*>", re.IGNORECASE | re.DOTALL)
_CELL = re.compile(r"<t[dh]\b[^<>]{0,500}>(.*?)</t[dh]\s*>", re.IGNORECASE | re.DOTALL)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_CELL_MAGIC = re.compile(r"^\s*%%\S+[^\n]*\n")
# Test helpers colour their messages ("\x1b[91mExpected 3 but got 4\x1b[0m").
_ANSI = re.compile(r"\x1b\[[0-9;]{0,20}[A-Za-z]")

# "Expected 3 but got 4", "expected output: [1 2], got: [1 3]", "Expected: True. Got: False".
_EXPECTED = re.compile(
    r"\bexpected(?: (?:output|value|result|values))?(?: for [\w.\[\]]+)?"
    r" ?(?:is|was|to be|:|=)? ?",
    re.IGNORECASE,
)
_GOT = re.compile(
    r"(?:[,;.] ?| )(?:but )?(?:got|received|instead got|actual(?: output)?|your output)"
    r"(?: ?[:=])? ?",
    re.IGNORECASE,
)
_GOT_LINE = re.compile(
    r"^\s*(?:but )?(?:got|received|actual(?: output)?|your output|output)\s*[:=]\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FromMessage:
    """What a test's failure message says: the expected value and, if it says, the actual one."""

    expected: str
    got: str = ""


# Finding the running cell in the notebook file


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _same_code(saved: str, running: str) -> bool:
    saved, running = saved.strip(), running.strip()
    if not running:
        return False
    if saved == running:
        return True
    # The cell as saved starts with "%%checkfirst"; what runs is its body.
    return _CELL_MAGIC.sub("", saved + "\n", count=1).strip() == running


def read_cells(path: Path) -> list[dict[str, Any]]:
    """The notebook's cells, [] when it can't be read."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    cells = data.get("cells") if isinstance(data, dict) else None
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


def expected_after_cell(cells: list[dict[str, Any]], running: str) -> str:
    """The "Expected output" of the saved cell whose code is ``running``: the first markdown
    cell after it, before the next code cell, that has an "Expected output" heading; "" if none."""
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code" or not _same_code(_source(cell), running):
            continue
        for after in cells[i + 1 :]:
            if after.get("cell_type") == "code":
                break
            if after.get("cell_type") == "markdown":
                found = expected_from_markdown(_source(after))
                if found:
                    return found
        return ""
    return ""


def expected_in_notebook(path: Path | None, running: str) -> str:
    """``expected_after_cell`` for the notebook file at ``path``; never raises."""
    if path is None or not running.strip():
        return ""
    try:
        return expected_after_cell(read_cells(path), running)
    except Exception:  # a strange notebook must never break the learner's cell
        return ""


# Reading an "Expected output" markdown cell


def _plain(text: str) -> str:
    text = _TAG.sub(" ", text.replace("<br>", "\n").replace("<br/>", "\n"))
    return " ".join(html.unescape(_BOLD.sub("", text)).split())


def _pair(cells: list[str]) -> str:
    cells = [c for c in (_plain(c) for c in cells) if c]
    if not cells:
        return ""
    if len(cells) == 1:
        return cells[0]
    name = cells[0].rstrip(":= ")
    return f"{name} = {' '.join(cells[1:])}"


def expected_from_markdown(markdown: str) -> str:
    """The expected output an "Expected output" markdown cell shows, as printed lines
    (``name = value`` for each table row); "" when the cell has no such heading or no content.

    Reads, after the heading: a fenced code block, else an HTML or Markdown table, else the
    remaining lines as text.
    """
    heading = _HEADING.search(markdown)
    if heading is None:
        return ""
    rest = markdown[heading.end() :]
    # The heading's line may end with ":", "**" or a closing tag.
    lines = rest.split("\n")
    first = _plain(lines[0]).lstrip(":*# ").strip()
    body_lines = ([first] if first else []) + lines[1:]

    # A fenced code block: its content, verbatim.
    block: list[str] = []
    inside = False
    for line in body_lines:
        if _FENCE.match(line):
            if inside:
                return _limit("\n".join(block))
            inside = True
            continue
        if inside:
            block.append(line)
    if inside and block:
        return _limit("\n".join(block))

    body = "\n".join(body_lines)
    rows = _ROW.findall(body)
    if rows:
        out = [_pair(_CELL.findall(row)) for row in rows]
        return _limit("\n".join(o for o in out if o))
    table = [ln for ln in body_lines if ln.strip().startswith("|")]
    if table:
        # A header row is the one above the rule line ("|---|---|").
        if len(table) > 1 and _TABLE_RULE.match(table[1]):
            table = table[2:]
        out = []
        for line in table:
            if _TABLE_RULE.match(line):
                continue
            out.append(_pair(line.strip().strip("|").split("|")))
        return _limit("\n".join(o for o in out if o))
    text = [_plain(ln) for ln in body_lines]
    return _limit("\n".join(t for t in text if t))


def _limit(text: str) -> str:
    return text.strip()[:MAX_EXPECTED_CHARS]


# A test's own message


def _looks_like_value(text: str) -> bool:
    """A value (numbers, a list, a quoted string, True/False/None), not words such as
    "does not match"."""
    text = text.strip()
    if not text:
        return False
    if any(ch.isdigit() for ch in text) or text[0] in "[({'\"":
        return True
    return text in ("True", "False", "None")


def _clean(value: str) -> str:
    return value.strip().rstrip(".,;").strip()


def from_message(text: str) -> FromMessage | None:
    """The expected value (and the actual one, if given) a test's failure message states:
    "Expected 3 but got 4", "Wrong output for x. Expected: [1 2]. Got: [1 3]", or "Expected:"
    and "Got:" on consecutive lines; None when no line states an expected value."""
    lines = _ANSI.sub("", text).splitlines()
    for i, line in enumerate(lines):
        if len(line) > MAX_LINE_CHARS:
            continue
        m = _EXPECTED.search(line)
        if m is None:
            continue
        rest = line[m.end() :]
        g = _GOT.search(rest)
        expected = _clean(rest[: g.start()] if g else rest)
        got = _clean(rest[g.end() :]) if g else ""
        if not got and i + 1 < len(lines) and len(lines[i + 1]) <= MAX_LINE_CHARS:
            n = _GOT_LINE.match(lines[i + 1])
            if n is not None:
                got = _clean(lines[i + 1][n.end() :])
        if _looks_like_value(expected):
            return FromMessage(expected=expected, got=got if _looks_like_value(got) else "")
    return None
