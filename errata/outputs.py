"""Published vs corrected expected output, with the values that differ marked (<mark>).

Outputs are split into numbers, words and the rest; the two token lists are aligned (difflib)
and every non-blank token that is not common to both is wrapped in <mark>. Everything else is
escaped, so the result is safe to put in a page as it is.
"""

from __future__ import annotations

import difflib
import re

from markupsafe import Markup, escape

# Numbers (with sign, decimals, exponent) first, so "-0.1234" is one token, not four.
_TOKEN = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\w+|\s+|[^\w\s]")
# Beyond this the alignment is not worth its cost; the boxes are shown unmarked.
MAX_CHARS = 20_000


def _marked(tokens: list[str], changed: set[int]) -> Markup:
    out = []
    for i, tok in enumerate(tokens):
        if i in changed and tok.strip():
            out.append(Markup("<mark>{}</mark>").format(tok))
        else:
            out.append(escape(tok))
    return Markup("").join(out)


def highlight(published: str, corrected: str) -> tuple[Markup, Markup]:
    """Both outputs as safe HTML with their differing tokens in <mark>."""
    if not published or not corrected or len(published) + len(corrected) > MAX_CHARS:
        return escape(published), escape(corrected)
    a, b = _TOKEN.findall(published), _TOKEN.findall(corrected)
    in_a: set[int] = set()
    in_b: set[int] = set()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            in_a.update(range(i1, i2))
            in_b.update(range(j1, j2))
    return _marked(a, in_a), _marked(b, in_b)
