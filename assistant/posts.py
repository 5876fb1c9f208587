"""What a forum post says, as the plain text a learner would have pasted (issue #13).

Learners write questions in the forum's Markdown: they quote the notebook
(``> Expected output: cost = 0.69``), bold a label (``**cost** = 0.69``), put names and numbers
in backticks, attach a screenshot (``![image](upload://…)``), link a page, and text copied from
a rendered page carries HTML entities and tags (``&gt;``, ``<br>``). Discourse, the usual course
forum, adds its own markup: a quote of another post (``[quote="mentor, post:2, topic:123"]`` …
``[/quote]``), hidden code (``[spoiler]``, ``[details="my code"]``, ``<details><summary>``) and
``@name`` mentions; the tags and the names go, what they enclose stays. The parser reads pasted
text; ``plain`` takes that dressing off first, so a dressed question reads as the plain one does.

Code fences stay (the parser tells fenced code from fenced messages) and their lines are left
as pasted, but for the quote markers of a fence inside a quote: inside a fence ``**`` is
Python's power and a backtick is a character. Outside, ``**`` goes only around a word
(``10 ** r`` is code and stays). Every pattern runs on RE2 (linear time); each line is read
once.
"""

from __future__ import annotations

import html

from core.linear_regex import Match, Pattern

FENCES = ("```", "~~~")
# Blockquote markers opening a line ("> ", "> > "); not a prompt (">>> "): a space must follow
# each marker.
_QUOTE = Pattern(r"^ {0,3}>(?: >)*(?: |$)")
# An image: its alt text ("image", "screenshot") says nothing about the bug.
_IMAGE = Pattern(r"!\[[^\]\n]*\]\([^)\n]*\)")
# A link: its text stays ("[the notebook](https://…)" -> "the notebook").
_LINK = Pattern(r"\[([^\]\n]+)\]\([^)\s]*\)")
# Bold around a word or words: "**cost**" (not "10 ** r"). "__x__" stays: it is how a learner
# writes a dunder (``__init__``) as often as bold.
_EMPHASIS = Pattern(r"\*\*([^\s*](?:[^*\n]*?[^\s*])?)\*\*")
# Inline code: the backticks go, the code stays.
_BACKTICKS = Pattern(r"`+")
# Formatting tags a rendered page leaves behind; a line break stays a line break.
_BREAK = Pattern(r"(?i)<br\s*/?>")
_TAG = Pattern(
    r"(?i)</?(?:p|code|pre|b|strong|em|i|kbd|sup|sub|span|div|blockquote|details|summary|a|img)"
    r"(?:\s[^<>\n]*)?/?>"
)
# Discourse's BBCode around quoted, hidden or folded text: the tag goes, the text stays.
_BBCODE = Pattern(r"(?i)\[/?(?:quote|spoiler|details|blur)(?:=[^\]\n]*)?\]")
# "@name" (a mention: who is asked, not what); not an e-mail address or "A @ B".
_MENTION = Pattern(r"(?:\A|[^\w@.])(?P<mc>@[A-Za-z][\w.-]*\w)")


def _first_group(m: Match) -> str:
    return m.group(1) or ""


def _plain_line(line: str) -> str:
    line = _QUOTE.sub("", line)
    line = _IMAGE.sub("", line)
    line = _LINK.sub(_first_group, line)
    line = _EMPHASIS.sub(_first_group, line)
    line = _BACKTICKS.sub("", line)
    line = _BBCODE.sub("", line)
    line = _MENTION.sub("", line)
    return _TAG.sub("", line)


def plain(text: str) -> str:
    """``text`` without its Markdown and HTML dressing; fenced lines as pasted."""
    if not text:
        return text
    text = html.unescape(_BREAK.sub("\n", text))
    out: list[str] = []
    in_fence = quoted = False
    for line in text.split("\n"):
        unquoted = _QUOTE.sub("", line)
        if unquoted.lstrip().startswith(FENCES):
            in_fence, quoted = not in_fence, unquoted != line
            out.append(unquoted)
        elif in_fence:
            out.append(unquoted if quoted else line)  # a fence inside a quote
        else:
            out.append(_plain_line(line))
    return "\n".join(out)
