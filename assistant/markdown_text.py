"""User text inside the answers' Markdown: shown as text, never read as markup.

Titles, locations and excerpts of reports and threads (anyone can write them, and unverified
reports are cited too) are pasted into the assistant's answer. Unescaped, a report titled
``[Download the corrected notebook here](https://evil.example/x)`` became a live link in the
assistant's voice, and a backtick in a location broke out of its code span.
"""

from __future__ import annotations

import re

# What can start inline markup: links and images ([ ] !), autolinks and HTML (<), entities (&),
# emphasis and strike-through (* _ ~), code (`), tables (|), and the escape character itself.
_INLINE = re.compile(r"([\\`*_\[\]<>!&|~])")
# What makes a line a heading, quote, list item or setext underline when the text starts it.
_LINE_START = re.compile(r"^([#>+=-]|\d{1,9}(?=[.)]))")
_BACKTICKS = re.compile(r"`+")


def escape_markdown(text: str) -> str:
    """``text`` on one line, with every character that could start Markdown backslash-escaped
    (CommonMark: any ASCII punctuation may be escaped), so it renders exactly as written."""
    flat = " ".join(str(text or "").split())
    escaped = _INLINE.sub(r"\\\1", flat)
    return _LINE_START.sub(
        lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), escaped
    )


def code_span(text: str) -> str:
    """``text`` as one inline code span, whatever backticks it holds.

    CommonMark: a span opened by n backticks closes at the next run of exactly n, so the fence is
    one backtick longer than the longest run inside; content that starts or ends with a
    backtick (or with spaces on both sides) gets a space of padding, which the renderer strips.
    """
    flat = " ".join(str(text or "").split())
    if not flat:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat[0] == "`" or flat[-1] == "`" else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def unescape_markdown(text: str) -> str:
    """Drop CommonMark backslash escapes, for showing an answer's Markdown as plain text."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def code_fence(text: str) -> str:
    """``text`` as a fenced code block that no line inside it can close (the fence is longer
    than any run of backticks in the text)."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.strip()}\n{fence}"
