"""The one tokenizer: every lexical comparison in Checkfirst (the BM25 index, errata and forum
suggestions, the assistant's word overlaps) splits text here, so a word matches the same way
everywhere.

Identifier-aware: ``lstm_forward`` and ``np.linalg.norm`` are kept whole (an exact identifier
is the strongest evidence a learner can paste) *and* split into their parts, so a report that
says "lstm forward" still meets one that says ``lstm_forward``.
"""

from __future__ import annotations

import re

# Runs of letters, digits and underscores, optionally joined by single dots (dotted names,
# version numbers). The pattern is unambiguous (each dot must be followed by a word
# character), so matching is linear in the text's length on any input.
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
_PARTS = re.compile(r"[._]+")

# Words that carry no meaning of their own in a question about a notebook. Kept short on
# purpose: "output", "expected" or "wrong" are what learners search errata for.
STOPWORDS = frozenset(
    "a an and are as at be but by can do does doesn don for from has have how i if im in into "  # noqa: SIM905
    "is it its me my not of on or so than that the their then there these this to was we were "
    "what when where which while who why will with you your".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens in text order, stop words dropped; an identifier yields the whole
    name followed by each of its parts (``a_next`` -> ``a_next``, ``next``)."""
    # An ASCII text is lower-cased once (every token is ASCII: the pattern matches only ASCII);
    # any other is lower-cased token by token, since lower-casing some non-ASCII letters
    # yields ASCII ones (the Kelvin sign becomes "k").
    ascii_text = text.isascii()
    raws = _TOKEN.findall(text.lower() if ascii_text else text)
    out: list[str] = []
    append = out.append
    for raw in raws:
        token = raw if ascii_text else raw.lower()
        if "_" in token or "." in token:
            token = token.strip("._")
            if not token:
                continue
            if "_" in token or "." in token:
                append(token)
                out.extend(p for p in _PARTS.split(token) if p and p not in STOPWORDS)
                continue
        if token not in STOPWORDS:
            append(token)
    return out


def token_set(text: str) -> set[str]:
    """The distinct tokens of ``text`` (for overlap measures such as Jaccard)."""
    return set(tokenize(text))
