"""Learners misspell; the course's content is the dictionary (issue #13).

"the gradiant of the secnod layer" finds nothing on the lexical side, and the sentence model
reads misspelt words as other word pieces: on dev, swapping two letters in one long word of
four cost about six points of recall@1. A word of the learner's prose is replaced when the
course's content never uses it (``links.LinkStats``: its words and its code names) and the
sentence model's own dictionary does not hold it whole (``dictionary``: "slides" is a word,
"gradiant" is not). The replacement is the word one edit away (a letter deleted, inserted or
changed, or two neighbours swapped) that the content uses in the most documents, at least
``MIN_DOCUMENTS``, and in more than any other word one edit away. Nothing is listed by hand:
the vocabulary is the course's own, so a course on Fourier transforms corrects to its words
and never to another course's. Short words (under ``MIN_LENGTH`` letters) are left alone (one
edit from too many others), and so is anything touching a digit, an underscore or a dot (code:
``dW1``, ``a_next``, ``np.dot``).
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.links import LinkStats
from core.linear_regex import Pattern
from core.settings import get_settings
from index.encoder import model_words
from index.text import STOPWORDS

MIN_LENGTH = 5
MIN_DOCUMENTS = 2
# Enough for any question; a paste of hundreds of unknown words is not worth the edits.
MAX_UNKNOWN = 40
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# A run of letters, with the character on each side (consumed context: RE2 has no lookaround).
_WORD = Pattern(r"(?:\A|[^A-Za-z])(?P<mc>[A-Za-z]{5,})(?:[^A-Za-z]|\z)")
_CODE_NEIGHBOURS = frozenset("0123456789_.")


def edits(word: str) -> Iterator[str]:
    """Every string one edit from ``word`` (a lowercase word): deletes, swaps, changes, inserts."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for left, right in splits:
        if right:
            yield left + right[1:]
            for c in LETTERS:
                if c != right[0]:
                    yield left + c + right[1:]
        if len(right) > 1:
            yield left + right[1] + right[0] + right[2:]
        for c in LETTERS:
            yield left + c + right


def dictionary() -> frozenset[str]:
    """The words the sentence model knows whole (``index.encoder.model_words``): "slides",
    "chance" and "newer" are words, even where the course never uses them."""
    return model_words(get_settings().embedding_model)


def known(word: str, stats: LinkStats, words: frozenset[str] = frozenset()) -> bool:
    """A real word: in the content's vocabulary, a stop word (never counted there: "there"),
    or a whole word of ``words`` (the model's dictionary)."""
    return word in stats.words or word in stats.names or word in STOPWORDS or word in words


def correction(word: str, stats: LinkStats, words: frozenset[str] = frozenset()) -> str | None:
    """The content's word for a misspelt ``word`` (lowercase), or None: a real word already, or
    no single most-used word one edit away."""
    if len(word) < MIN_LENGTH or known(word, stats, words):
        return None
    return _nearest(word, stats)


def _nearest(word: str, stats: LinkStats) -> str | None:
    """The content's most-used word one edit from ``word``, if one is used most."""
    counts = {e: stats.words.get(e, 0) for e in set(edits(word))}
    ranked = sorted((n, e) for e, n in counts.items() if n >= MIN_DOCUMENTS)
    if not ranked or (len(ranked) > 1 and ranked[-1][0] == ranked[-2][0]):
        return None
    return ranked[-1][1]


def correct(text: str, stats: LinkStats, words: frozenset[str] = frozenset()) -> str:
    """``text`` with its misspelt words replaced by the content's (lowercase); the rest as is.
    ``words``: more words that are real (``dictionary()``)."""
    if not stats.documents or not text:
        return text
    pieces: list[str] = []
    end = unknown = 0
    for m in _WORD.finditer(text):
        start, stop = m.start(), m.end()
        before = text[start - 1] if start else ""
        after = text[stop] if stop < len(text) else ""
        word = m.group(0).lower()
        if before in _CODE_NEIGHBOURS or after in _CODE_NEIGHBOURS or known(word, stats, words):
            continue
        unknown += 1
        if unknown > MAX_UNKNOWN:
            break
        fixed = _nearest(word, stats)  # known(word) was just checked; _WORD is 5+ letters
        if fixed is not None:
            pieces += [text[end:start], fixed]
            end = stop
    pieces.append(text[end:])
    return "".join(pieces)
