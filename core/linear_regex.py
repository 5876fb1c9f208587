"""Regular expressions over pasted text, in linear time: RE2 (google-re2), never backtracking.

Python's ``re`` backtracks: ``\\((\\s*\\d+\\s*,(?:\\s*\\d+\\s*,?)*)\\)`` took seconds on a
29-character question and doubled per extra digit. RE2 runs in time linear in the text, but has
no lookaround and no backreferences, and its ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII-only.
So the patterns here are written in a small dialect:

- ``\\w``, ``\\d``, ``\\s`` (and ``\\W``, ``\\D``, ``\\S``) mean what they mean for Python's
  ``str`` patterns (Unicode letters and numbers, decimal digits, ``str.isspace``);
- a one-character lookbehind or lookahead is written as *consumed context* around a named
  group ``mc``: ``(?:\\A|[^\\w.])(?P<mc>...)(?:\\W|\\z)`` instead of
  ``(?<![\\w.])...(?!\\w)``. ``Pattern`` reports group ``mc`` as the match and resumes the
  next search one character before ``mc`` ended (where the next match's context may be), so the
  matches are exactly the ones the lookaround pattern finds: RE2 picks submatches with Perl's
  leftmost-first priorities, and context at the pattern's edges only constrains, never extends.
  Alternatives that need no context are named ``m``; further ones ``mc2``, ``mc3``….

``WORK`` counts the characters handed to the engine (from the search position to the end of the
match, or to the end of the text when nothing matches): RE2's time is linear in that, so tests
and ``bench/parser_bench.py`` can check growth without a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import re2

# The most text of one input field a pattern ever sees (the ask API refuses longer fields; this
# guards every other caller). Longer text is cut, keeping the head (or the tail, for tracebacks).
MAX_INPUT_CHARS = 20_000

# Python's str classes spelled for RE2 (class bodies, without brackets).
_WORD = r"\p{L}\p{N}_"
_DIGIT = r"\p{Nd}"
_SPACE = r"\t-\r\x1c- \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_CLASSES = {"w": _WORD, "d": _DIGIT, "s": _SPACE}


class WorkCounter:
    """Characters scanned by the engine and searches made, since the last ``reset``."""

    def __init__(self) -> None:
        self.chars = 0
        self.searches = 0

    def reset(self) -> None:
        self.chars = 0
        self.searches = 0


WORK = WorkCounter()


def translate(pattern: str) -> str:
    """Rewrite ``\\w``/``\\d``/``\\s`` (and negations) into RE2 classes with Python's meaning."""
    out: list[str] = []
    in_class = False
    class_start = -1
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            body = _CLASSES.get(nxt.lower())
            if body is None:
                out.append(pattern[i : i + 2])
            elif in_class:
                if nxt.isupper():
                    raise ValueError(f"\\{nxt} inside a class has no RE2 spelling: {pattern!r}")
                out.append(body)
            else:
                out.append(("[^" if nxt.isupper() else "[") + body + "]")
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            class_start = i
        elif (
            ch == "]"
            and in_class
            # "]" right after "[" or "[^" is a literal.
            and i - class_start > 1
            and not (i - class_start == 2 and pattern[i - 1] == "^")
        ):
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


class Match:
    """The part of ``re.Match`` the parsers use, in ``str`` offsets."""

    __slots__ = ("_groups", "_spans")

    def __init__(self, groups: tuple[str | None, ...], spans: tuple[tuple[int, int], ...]):
        self._groups = groups
        self._spans = spans

    def group(self, index: int = 0) -> Any:
        return self._groups[index]

    def groups(self) -> tuple[str | None, ...]:
        return self._groups[1:]

    def start(self) -> int:
        return self._spans[0][0]

    def end(self) -> int:
        return self._spans[0][1]


class Pattern:
    """An RE2 pattern in the dialect above; group ``m`` (if any) is the reported match."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._rx = re2.compile(translate(pattern))
        names = {int(i): n for n, i in self._rx.groupindex.items()}
        # The reported match: the first of the groups named m, mc, mc2… that took part (group 0
        # when there is none); "mc…" ones follow one character of consumed context.
        self._names = [(i, n.startswith("mc")) for i, n in sorted(names.items()) if n[:1] == "m"]
        # Groups reported as 1, 2, …: the unnamed ones, in order.
        self._reported = [g for g in range(1, self._rx.groups + 1) if g not in names]

    def _matches(self, text: str, *, anchored: bool = False) -> Iterator[Match]:
        data = text.encode("utf-8", "surrogatepass")
        ascii_only = len(data) == len(text)
        # Byte offset -> str offset, kept incrementally (offsets move forward, rarely back a
        # little), so mapping costs linear time overall.
        last_byte, last_char = 0, 0

        def char_at(offset: int) -> int:
            nonlocal last_byte, last_char
            if ascii_only or offset < 0:
                return offset
            if offset >= last_byte:
                last_char += len(data[last_byte:offset].decode("utf-8", "surrogatepass"))
            else:
                last_char -= len(data[offset:last_byte].decode("utf-8", "surrogatepass"))
            last_byte = offset
            return last_char

        pos = 0
        while pos <= len(data):
            WORK.searches += 1
            found = self._rx.match(data) if anchored else self._rx.search(data, pos)
            if found is None:
                WORK.chars += len(data) - pos
                return
            WORK.chars += found.end() - pos + 1
            main, context = next(
                ((i, c) for i, c in self._names if found.span(i)[0] >= 0), (0, False)
            )
            groups = [main, *self._reported]
            spans = [found.span(g) for g in groups]
            table = {o: char_at(o) for o in sorted({o for s in spans for o in s})}
            yield Match(
                tuple(_decode(found.group(g)) for g in groups),
                tuple((table[s], table[e]) for s, e in spans),
            )
            if anchored:
                return
            start, end = spans[0]
            # The next match may need the last character of this one as its context.
            nxt = end - 1 if context else end
            pos = max(nxt, pos + 1) if end > start else end + 1

    def finditer(self, text: str) -> Iterator[Match]:
        return self._matches(text)

    def search(self, text: str) -> Match | None:
        return next(self.finditer(text), None)

    def findall(self, text: str) -> list[Any]:
        out: list[Any] = []
        for m in self.finditer(text):
            groups = m.groups()
            out.append(m.group(0) if not groups else groups[0] if len(groups) == 1 else groups)
        return out

    def match(self, text: str) -> Match | None:
        """A match starting at the beginning of ``text``, like ``re.match``."""
        return next(self._matches(text, anchored=True), None)

    def sub(self, repl: str | Callable[[Match], str], text: str) -> str:
        """``text`` with each reported match replaced by ``repl`` (a string taken as written, or
        a function of the match, as ``re.sub`` takes)."""
        pieces: list[str] = []
        end = 0
        for m in self.finditer(text):
            pieces.append(text[end : m.start()])
            pieces.append(repl if isinstance(repl, str) else repl(m))
            end = m.end()
        pieces.append(text[end:])
        return "".join(pieces)


def cap(text: str, *, keep_tail: bool = False) -> str:
    """At most ``MAX_INPUT_CHARS`` of ``text``: the head, or the tail (where a traceback's
    exception is)."""
    if len(text) <= MAX_INPUT_CHARS:
        return text
    return text[-MAX_INPUT_CHARS:] if keep_tail else text[:MAX_INPUT_CHARS]


def _decode(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "surrogatepass")
