"""Output matching: is the learner's printed output the erratum's corrected expected output?

Both sides are parsed into values (``assistant.parsing.parse_values``) and compared numerically,
so brackets, commas, whitespace, ``array(...)``/``tf.Tensor(...)`` wrappers and the number of
printed digits do not matter. Named values (``a_next[4] = [...]``) are compared by name; unnamed
ones by position.

What counts as evidence (a coincidence must be unlikely, since a match tells a learner their code
is right):

- at least ``MIN_NUMBERS`` numbers agree, or fewer that each carry ``PRECISE_DIGITS``
  significant digits on both sides (``J = 0.44270565``: one chance in ~10^6 by accident);
- values matched by position (no shared name) carry at least ``MIN_DIGITS`` significant digits
  between them (each number at least one): ``1`` and ``2`` from a pasted line of code agree
  with ``1.5 1.5`` once rounded to whole numbers, which says nothing;
- an output without numbers (a printed string) equals the reference once whitespace is
  collapsed;
- when both of an erratum's outputs agree with the learner's, the one that agrees on *more*
  (values printed only in it) wins: the learner shows what only that output has;
- numbers the learner quotes in their words (``match_quoted``): a precise number equal to one
  that only the corrected output has (not a number they call the notebook's "expected" one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from assistant.parsing import Value, close, normalize_name, parse_values
from assistant.terms import digest
from core.lru import ByteBoundedLRU

RTOL = 1e-4
ATOL = 1e-6
# A match on fewer numbers than this (and no matching name) is too weak to tell anything.
MIN_NUMBERS = 2
# Fewer numbers are enough when each printed this many significant digits (both sides).
PRECISE_DIGITS = 6
# Values matched by position must carry this many significant digits in all (a number counts
# at least one): two one-digit integers agree with many printed outputs by chance.
MIN_DIGITS = 4
# A printed string (no numbers) must be at least this long to identify an output.
MIN_TEXT_CHARS = 8
# The most numbers of one side a comparison looks at. Finding a printed slice inside another
# print costs (numbers of one) x (numbers of the other); numpy itself summarises arrays of more
# than 1000 elements, so longer runs are pasted on purpose, and this bounds the work.
MAX_COMPARED_NUMBERS = 1000
# Errata outputs parsed once per process (``reference_values``), bounded by what the parsed
# values hold: an output may be up to a million characters, so a count bound is no bound.
CACHED_OUTPUTS_BYTES = 8 * 1024 * 1024


class MatchKind(StrEnum):
    corrected = "corrected"
    published = "published"


@dataclass(frozen=True)
class Comparison:
    matched: bool
    # How many numbers were compared, and which names lined up.
    compared: int = 0
    names: tuple[str, ...] = ()


def significant_digits(x: float, ulp: float) -> int:
    """How many significant digits a printed number carries ("0.44270565" -> 8, "3" -> 1)."""
    if not x or not ulp or math.isnan(x) or math.isinf(x):
        return 0
    return int(math.floor(math.log10(abs(x))) - round(math.log10(ulp)) + 1)


def _precise(v: Value) -> bool:
    return bool(v.numbers) and all(
        significant_digits(x, u) >= PRECISE_DIGITS for x, u in zip(v.numbers, v.ulps, strict=True)
    )


def _digits(v: Value) -> int:
    """The significant digits ``v`` prints in all, each number counting at least one."""
    return sum(max(1, significant_digits(x, u)) for x, u in zip(v.numbers, v.ulps, strict=True))


def _enough(a: Value, b: Value | None = None) -> bool:
    """Enough numbers to tell anything: ``MIN_NUMBERS``, or fewer but precise on both sides."""
    if len(a.numbers) >= MIN_NUMBERS:
        return True
    return _precise(a) and (b is None or _precise(b))


def _same(a: Value, b: Value, *, rtol: float, atol: float) -> bool:
    if len(a.numbers) != len(b.numbers) or not a.numbers:
        return False
    return all(
        close(x, y, ux, uy, rtol=rtol, atol=atol)
        for x, y, ux, uy in zip(a.numbers, b.numbers, a.ulps, b.ulps, strict=True)
    )


def _contained(a: Value, b: Value, *, rtol: float, atol: float) -> bool:
    """``a``'s numbers appear as one contiguous run inside ``b``'s (a printed slice). Never a
    run shorter than ``MIN_NUMBERS``: one number found somewhere in a matrix is a coincidence
    (``0.33333334`` is in many), however many digits it has; a lone precise number must be a
    whole printed value of its own."""
    n = len(a.numbers)
    if n < MIN_NUMBERS:
        return False
    for start in range(0, len(b.numbers) - n + 1):
        window = Value(None, b.numbers[start : start + n], b.ulps[start : start + n], "")
        if _same(a, window, rtol=rtol, atol=atol):
            return True
    return False


def compare(
    actual: str | list[Value],
    reference: str | list[Value],
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> Comparison:
    """Does ``actual`` show the same numbers as ``reference``, within tolerance?"""
    a_values = parse_values(actual) if isinstance(actual, str) else actual
    r_values = parse_values(reference) if isinstance(reference, str) else reference
    a_values = _bounded([v for v in a_values if v.numbers])
    r_values = _bounded([v for v in r_values if v.numbers])
    if not a_values or not r_values:
        return Comparison(False)

    a_named = {normalize_name(v.name): v for v in a_values if v.name}
    r_named = {normalize_name(v.name): v for v in r_values if v.name}
    common = [n for n in a_named if n in r_named]
    if common:
        # Every value printed under the same name must agree; one disagreement is a mismatch.
        for name in common:
            if not _same(a_named[name], r_named[name], rtol=rtol, atol=atol):
                return Comparison(False, names=tuple(common))
        count = sum(len(a_named[n].numbers) for n in common)
        return Comparison(True, compared=count, names=tuple(common))

    # No shared names: compare everything in order, then value by value.
    a_flat = _flatten(a_values)
    r_flat = _flatten(r_values)
    if _digits(a_flat) < MIN_DIGITS:
        return Comparison(False)
    if _enough(a_flat, r_flat) and _same(a_flat, r_flat, rtol=rtol, atol=atol):
        return Comparison(True, compared=len(a_flat.numbers))
    compared = digits = 0
    precise = False
    for value in a_values:
        if not _enough(value):
            continue
        if not any(
            _enough(value, r) and _same(value, r, rtol=rtol, atol=atol) for r in r_values
        ) and not _contained(value, r_flat, rtol=rtol, atol=atol):
            return Comparison(False)
        compared += len(value.numbers)
        digits += _digits(value)
        precise = precise or _precise(value)
    enough = compared >= MIN_NUMBERS or (compared > 0 and precise)
    return Comparison(enough and digits >= MIN_DIGITS, compared=compared)


def _bounded(values: list[Value]) -> list[Value]:
    """The values up to ``MAX_COMPARED_NUMBERS`` numbers in all (the last one cut short)."""
    out: list[Value] = []
    left = MAX_COMPARED_NUMBERS
    for v in values:
        if left <= 0:
            break
        if len(v.numbers) > left:
            v = Value(v.name, v.numbers[:left], v.ulps[:left], v.text)
        out.append(v)
        left -= len(v.numbers)
    return out


def _flatten(values: list[Value]) -> Value:
    numbers = tuple(n for v in values for n in v.numbers)
    ulps = tuple(u for v in values for u in v.ulps)
    return Value(None, numbers, ulps, "")


_outputs: ByteBoundedLRU[bytes, tuple[Value, ...]] = ByteBoundedLRU(CACHED_OUTPUTS_BYTES)


def reference_values(output: str) -> tuple[Value, ...]:
    """An erratum's published or corrected output, parsed once: every learner's output that
    reaches the erratum is compared with the same values. Keyed by a digest of the text, so an
    edited output is parsed again."""
    key = digest(output)
    hit = _outputs.get(key)
    if hit is None:
        hit = tuple(parse_values(output))
        size = 200 + sum(100 + 16 * len(v.numbers) + len(v.text) for v in hit)
        _outputs.put_sized(key, hit, size)
    return hit


def match_erratum(
    actual: str,
    *,
    corrected_output: str,
    published_output: str,
    values: list[Value] | None = None,
) -> MatchKind | None:
    """Which of an erratum's two expected outputs the learner's output equals, if exactly one.

    When both match (the compared part is the same in both), the output tells nothing apart.
    ``values``: ``parse_values(actual)`` when the caller compares one output with many errata.
    """
    if not actual.strip():
        return None
    text = _flat_text(actual)
    if len(text) >= MIN_TEXT_CHARS:
        same_corrected = text == _flat_text(corrected_output)
        same_published = text == _flat_text(published_output)
        if same_corrected != same_published:
            return MatchKind.corrected if same_corrected else MatchKind.published
    if values is None:
        values = parse_values(actual)
    if not values:
        return None
    no_match = Comparison(False)
    corrected = (
        compare(values, list(reference_values(corrected_output)))
        if corrected_output.strip()
        else no_match
    )
    published = (
        compare(values, list(reference_values(published_output)))
        if published_output.strip()
        else no_match
    )
    if corrected.matched and published.matched:
        # Both agree where they agree; the learner also shows values only one of them has.
        if corrected.compared > published.compared:
            return MatchKind.corrected
        if published.compared > corrected.compared:
            return MatchKind.published
        return None
    if corrected.matched:
        return MatchKind.corrected
    if published.matched:
        return MatchKind.published
    return None


def _flat_text(text: str) -> str:
    return " ".join(text.split())


def match_quoted(quoted: list[Value], *, corrected_output: str, published_output: str) -> bool:
    """A precise number the learner quotes as theirs equals a lone printed value of the
    corrected output that the published output does not have (a number also in the published
    output is the notebook's, which anyone can copy; one inside a matrix is a coincidence)."""
    mine = [v for v in quoted if _precise(v)]
    if not mine or not corrected_output.strip():
        return False
    corrected = [v for v in reference_values(corrected_output) if len(v.numbers) == 1]
    published = [v for v in reference_values(published_output) if v.numbers]

    def _is(v: Value, ref: Value) -> bool:
        return _precise(ref) and _same(v, ref, rtol=RTOL, atol=ATOL)

    def _anywhere(v: Value, refs: list[Value]) -> bool:
        return any(
            close(v.numbers[0], y, v.ulps[0], u, rtol=RTOL, atol=ATOL)
            for r in refs
            for y, u in zip(r.numbers, r.ulps, strict=True)
            if significant_digits(y, u) >= PRECISE_DIGITS
        )

    return any(any(_is(v, r) for r in corrected) and not _anywhere(v, published) for v in mine)
