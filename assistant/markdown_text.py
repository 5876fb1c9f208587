"""User text inside the answers' Markdown: shown as text, never read as markup.

Titles, locations and excerpts of reports and threads (anyone can write them, and unverified
reports are cited too) are pasted into the assistant's answer. Unescaped, a report titled
``[Download the corrected notebook here](https://evil.example/x)`` became a live link in the
assistant's voice, and a backtick in a location broke out of its code span.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

# What can start inline markup: links and images ([ ] !), autolinks and HTML (<), entities (&),
# emphasis and strike-through (* _ ~), code (`), tables (|), and the escape character itself.
_INLINE = re.compile(r"([\\`*_\[\]<>!&|~])")
# What makes a line a heading, quote, list item or setext underline when the text starts it.
_LINE_START = re.compile(r"^([#>+=-]|\d{1,9}(?=[.)]))")
_BACKTICKS = re.compile(r"`+")
# Raw HTML off, as in core.markdown: a tag in a post is text there, so it is text here too.
_PARSER = MarkdownIt("js-default")


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


def markdown_to_text(text: str) -> str:
    """What a reader of rendered Markdown sees, as one line of plain text: emphasis markers,
    link targets, heading and list markers gone; a link keeps its words, code its content.

    Excerpts quoted in an answer are made from this and then escaped: escaping the Markdown
    itself showed a reply's ``**3a**`` as literal asterisks in the answer.
    """
    parts: list[str] = []
    for token in _PARSER.parse(str(text or "")):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline", "html_inline"):
                    parts.append(child.content)
                elif child.type == "image":
                    parts.append(child.content)  # its alt text
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            parts.append(" ")
        elif token.type in ("fence", "code_block", "html_block"):
            parts.append(f" {token.content} ")
    return " ".join("".join(parts).split())
