"""Output matching: is the learner's printed output the erratum's corrected expected output?

Both sides are parsed into values (``assistant.parsing.parse_values``) and compared numerically,
so brackets, commas, whitespace, ``array(...)``/``tf.Tensor(...)`` wrappers and the number of
printed digits do not matter. Named values (``a_next[4] = [...]``) are compared by name; unnamed
ones by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from assistant.parsing import Value, close, normalize_name, parse_values

RTOL = 1e-4
ATOL = 1e-6
# A match on fewer numbers than this (and no matching name) is too weak to tell anything.
MIN_NUMBERS = 2
# The most numbers of one side a comparison looks at. Finding a printed slice inside another
# print costs (numbers of one) x (numbers of the other); numpy itself summarises arrays of more
# than 1000 elements, so longer runs are pasted on purpose, and this bounds the work.
MAX_COMPARED_NUMBERS = 1000


class MatchKind(StrEnum):
    corrected = "corrected"
    published = "published"


@dataclass(frozen=True)
class Comparison:
    matched: bool
    # How many numbers were compared, and which names lined up.
    compared: int = 0
    names: tuple[str, ...] = ()


def _same(a: Value, b: Value, *, rtol: float, atol: float) -> bool:
    if len(a.numbers) != len(b.numbers) or not a.numbers:
        return False
    return all(
        close(x, y, ux, uy, rtol=rtol, atol=atol)
        for x, y, ux, uy in zip(a.numbers, b.numbers, a.ulps, b.ulps, strict=True)
    )


def _contained(a: Value, b: Value, *, rtol: float, atol: float) -> bool:
    """``a``'s numbers appear as one contiguous run inside ``b``'s (a printed slice)."""
    n = len(a.numbers)
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
    if len(a_flat.numbers) >= MIN_NUMBERS and _same(a_flat, r_flat, rtol=rtol, atol=atol):
        return Comparison(True, compared=len(a_flat.numbers))
    compared = 0
    for value in a_values:
        if len(value.numbers) < MIN_NUMBERS:
            continue
        if not any(_same(value, r, rtol=rtol, atol=atol) for r in r_values) and not _contained(
            value, r_flat, rtol=rtol, atol=atol
        ):
            return Comparison(False)
        compared += len(value.numbers)
    return Comparison(compared >= MIN_NUMBERS, compared=compared)


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


def match_erratum(actual: str, *, corrected_output: str, published_output: str) -> MatchKind | None:
    """Which of an erratum's two expected outputs the learner's output equals, if exactly one.

    When both match (the compared part is the same in both), the output tells nothing apart.
    """
    if not actual.strip():
        return None
    values = parse_values(actual)
    if not values:
        return None
    to_corrected = bool(corrected_output.strip()) and compare(values, corrected_output).matched
    to_published = bool(published_output.strip()) and compare(values, published_output).matched
    if to_corrected and not to_published:
        return MatchKind.corrected
    if to_published and not to_corrected:
        return MatchKind.published
    return None
