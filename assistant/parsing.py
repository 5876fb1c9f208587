"""Read what a learner pasted: a question, a traceback, a failing test's message, printed arrays.

Pure functions, no database and no model. ``parse`` splits the input into

- exception type and message (``ValueError: shapes (5,3) and (4,) not aligned``),
- assertion and test texts (``Wrong values for dW1``, ``Error: Wrong output``),
- function and test names (``File "...", line 12, in rnn_forward``, ``lstm_backward_test``),
- shapes, numbers and named arrays (numpy, ``array(...)``, ``tf.Tensor(...)``, scalars),

and turns identifiers and error strings into lexical terms and the prose into dense-search text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

# Tracebacks


# 'File "x.py", line 3, in f' (Python) and 'File ~/x.py:3, in f(a, b)' (IPython 8).
_FRAME = re.compile(
    r'File\s+(?:"([^"]*)",\s+line\s+(\d+)|(\S+?):(\d+)),\s+in\s+([A-Za-z_<][\w<>.]*)'
)
# The lookbehind starts a path only where its run of path characters starts (the same matches:
# a match inside a run extends back to the run's start); without it a long run of word
# characters such as "000…" is rescanned from every position, seconds for a 20k-char paste.
_PATH = re.compile(r'(?:File\s+)?(?:"[^"\n]*\.py"|(?<![~/.\w-])[~/.\w-]*/[\w./-]+\.py(?::\d+)?)')
# "ValueError: msg", "tensorflow.python.framework.errors_impl.InvalidArgumentError: msg",
# also a bare "AssertionError" on its own line.
_EXCEPTION = re.compile(
    r"^\s*(?:[A-Za-z_][\w]*\.)*((?:[A-Z][A-Za-z0-9]*)?(?:Error|Exception|Warning|Interrupt|Exit))"
    r"(?:\s*:\s*(.*))?\s*$",
    re.MULTILINE,
)
# Library frames tell little about the learner's problem: keep the notebook's own functions.
_LIBRARY_PATH = re.compile(r"site-packages|dist-packages|/lib/python\d|<__array_function__")
_TRACEBACK_NOISE = re.compile(
    r"Traceback \(most recent call last\)|^\s*-{5,}|^[~^\s]+$|^\s*During handling of"
    r"|^\s*Cell In\s*\[|^\s*<ipython-input-"
)
# An arrow line in IPython tracebacks: "---> 12     a_next = np.tanh(...)" or "  12 def f():".
_CODE_LINE = re.compile(r"^\s*(-*>\s*)?\d+\s{1,}\S")

# Assertion and test messages

_ASSERT_STMT = re.compile(r"""assert\b[^\n]*?,\s*(f?["'])(.+?)\1""")
_MESSAGE_LINE = re.compile(
    r"^\s*(?:Error|Failed|FAIL(?:ED)?|Test failed|AssertionError)\s*[:!-]\s*(.+)$",
    re.MULTILINE | re.IGNORECASE,
)
_WRONG_PHRASE = re.compile(
    r"\b((?:wrong|incorrect|unexpected|mismatch(?:ed)?|invalid)\s+"
    r"(?:values?|outputs?|shapes?|types?|dimensions?|results?|number|length|dtype)\b[^\n.;]{0,60})",
    re.IGNORECASE,
)
_TEST_RESULT = re.compile(r"\b(\d+\s+tests?\s+(?:passed|failed))", re.IGNORECASE)

# Identifiers

# snake_case with at least one underscore (rnn_forward, dW1 is handled below), dotted calls
# (np.dot, tf.keras.layers.Dense) and identifiers followed by "(".
_SNAKE = re.compile(r"(?<![\w.])([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+)(?![\w])")
_DOTTED = re.compile(r"(?<![\w.])((?:np|tf|torch|keras|nn|F|jnp|pd)(?:\.[A-Za-z_]\w*)+)")
_CALL = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\(")
# Gradient and parameter names courses use everywhere: dW1, db2, dA_prev, W1, b3, Wax, Waa.
_PARAM = re.compile(
    r"(?<![\w.])(d?[WbAZ]\d+|d[A-Z]\w*|db\d*|W(?:aa|ax|ya|[ficouy])|a_next|c_next)(?![\w])"
)
_CAMEL_ERROR = re.compile(r"\b([A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception|Warning))\b")

_STOP_CALLS = {
    "print", "len", "range", "int", "float", "str", "list", "dict", "tuple", "set", "array",
    "shape", "type", "isinstance", "zip", "enumerate", "max", "min", "sum", "abs", "round",
    "Tensor", "if", "for", "while", "return", "assert", "and", "or", "not", "in", "is",
    "line", "File", "def", "lambda", "with", "np", "tf", "dtype", "float32", "float64", "int64",
}  # fmt: skip

# Shapes and numbers

_SHAPE = re.compile(r"\((\s*\d+\s*,(?:\s*\d+\s*,?)*)\)")
# A number as numpy and Python print it: 1, -0.5, 1., .5, 3.2e-05, nan, inf.
NUMBER = re.compile(
    r"(?<![\w.])([-+]?(?:(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf))(?![\w])",
    re.IGNORECASE,
)
_META = re.compile(
    r"\b(?:dtype|shape|device|name)\s*=\s*(?:\([^)]*\)|[\w.:'\"/]+)|\bdtype\s*:\s*[\w.]+",
)
# "a_next[4] = ...", "dW1 = ...", "cost:", "Expected output for dW1:", "mean =".
_NAME_LINE = re.compile(
    r"^\s*(?:[*\-]\s*)?([A-Za-z_][\w.]*(?:\[[^\]\n]{0,20}\])*(?:\.shape)?)"
    r"\s*(?:=|:)(?!=)\s*(.*)$"
)


@dataclass(frozen=True)
class Value:
    """One printed value: its name if the learner printed one, its numbers flat, in order."""

    name: str | None
    numbers: tuple[float, ...]
    # The size of the last printed digit of each number (0.001 for "0.123"), for tolerance.
    ulps: tuple[float, ...]
    text: str


@dataclass
class Parsed:
    exception_type: str | None = None
    exception_message: str | None = None
    assertions: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    shapes: list[tuple[int, ...]] = field(default_factory=list)
    numbers: list[float] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    prose: str = ""

    def terms(self, limit: int = 24) -> tuple[str, ...]:
        """Identifiers and error strings for the lexical side, most telling first, no repeats."""
        out: list[str] = []
        if self.exception_type:
            out.append(self.exception_type)
        if self.exception_message:
            out.append(_clip(self.exception_message, 160))
        out += [_clip(a, 160) for a in self.assertions]
        out += self.functions + self.tests + self.identifiers
        return tuple(_unique(out)[:limit])

    def dense_text(self) -> str:
        """What the dense side embeds: the learner's prose, then the error in words."""
        parts = [self.prose]
        if self.exception_type:
            msg = _clip(self.exception_message or "", 200)
            parts.append(f"{self.exception_type}: {msg}".rstrip(": "))
        parts += [a for a in self.assertions if a not in (self.exception_message or "")]
        if not self.prose.strip():
            parts += self.functions[:3] + self.tests[:2]
        return _clip(" ".join(p.strip() for p in parts if p and p.strip()), 1000)


def parse(
    question: str,
    *,
    traceback: str | None = None,
    output: str | None = None,
) -> Parsed:
    """Parse a pasted question (often itself a traceback), a separate traceback and an output."""
    text = "\n".join(t for t in (question, traceback or "") if t)
    result = Parsed()
    _parse_exception(text, result)
    _parse_frames(text, result)
    result.assertions = _unique(_assertions(text, result.exception_message))
    result.tests = _unique(
        [t for t in _identifiers(text) if t.startswith("test_") or t.endswith(("_test", "_tests"))]
    )
    result.identifiers = [
        i
        for i in _unique(_identifiers(text))
        if i not in result.functions and i not in result.tests
    ]
    result.shapes = shapes(text)
    all_values = parse_values(output or "") + parse_values("\n".join(_split_lines(text)[1]))
    result.values = [v for v in all_values if v.numbers]
    result.numbers = [n for v in result.values for n in v.numbers]
    result.prose = prose(question)
    return result


def _parse_exception(text: str, result: Parsed) -> None:
    # The last exception line is what was finally raised; chained ones come earlier.
    found = [
        m
        for m in _EXCEPTION.finditer(text)
        if not _FRAME.search(m.group(0)) and len(m.group(0)) < 2000
    ]
    if not found:
        named = _CAMEL_ERROR.search(text)
        if named:
            result.exception_type = named.group(1)
        return
    last = found[-1]
    result.exception_type = last.group(1)
    message = (last.group(2) or "").strip()
    result.exception_message = message or None


def _parse_frames(text: str, result: Parsed) -> None:
    frames = [(m.group(1) or m.group(3), m.group(5)) for m in _FRAME.finditer(text)]
    # IPython's "Cell In[5], line 12, in rnn_forward(x, a0, parameters)" and older
    # "<ipython-input-5-...> in rnn_forward(x, a0)" frames.
    for m in re.finditer(r"(?:Cell In\s*\[\d*\]|<ipython-input-[\w-]+>),?\s*(?:line \d+,?\s*)?in\s+"
                         r"([A-Za-z_]\w*)", text):  # fmt: skip
        frames.append(("<notebook>", m.group(1)))
    names = [
        name
        for path, name in frames
        if not _LIBRARY_PATH.search(path) and not name.startswith("<") and name != "<module>"
    ]
    result.functions = _unique(names)


def _assertions(text: str, exception_message: str | None) -> list[str]:
    found: list[str] = []
    if exception_message:
        found.append(exception_message)
    found += [m.group(2).strip() for m in _ASSERT_STMT.finditer(text)]
    found += [m.group(1).strip() for m in _MESSAGE_LINE.finditer(text)]
    found += [m.group(1).strip() for m in _WRONG_PHRASE.finditer(text)]
    found += [m.group(1).strip() for m in _TEST_RESULT.finditer(text)]
    return [_clip(f.strip(" \"'"), 200) for f in found if len(f.strip(" \"'")) >= 3]


def _identifiers(text: str) -> list[str]:
    # Only code-looking names: snake_case, dotted library calls, parameter names and calls.
    text = _PATH.sub(" ", text)
    found: list[tuple[int, str]] = []
    for pattern in (_SNAKE, _DOTTED, _PARAM):
        found += [(m.start(), m.group(1)) for m in pattern.finditer(text)]
    found += [
        (m.start(), m.group(1))
        for m in _CALL.finditer(text)
        if m.group(1) not in _STOP_CALLS and len(m.group(1)) > 2 and not m.group(1).istitle()
    ]
    found.sort()
    return [name for _, name in found if not name.lower().startswith(("http", "www"))]


def shapes(text: str) -> list[tuple[int, ...]]:
    """Tuples of integers such as ``(5, 10)`` or ``(4,)``."""
    out: list[tuple[int, ...]] = []
    for m in _SHAPE.finditer(text):
        dims = tuple(int(d) for d in re.findall(r"\d+", m.group(1)))
        if dims and dims not in out:
            out.append(dims)
    return out


def prose(question: str) -> str:
    """The learner's own words: the question without traceback frames, code and number dumps."""
    return _clip(" ".join(line.strip() for line in _split_lines(question)[0]), 2000)


def _split_lines(text: str) -> tuple[list[str], list[str]]:
    """Split pasted text into prose lines and data lines (array prints, ``name = value``)."""
    words: list[str] = []
    data: list[str] = []
    in_fence = False
    after_frame = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
            continue
        if not stripped:
            continue
        frame = bool(_FRAME.search(line))
        # The source line Python prints under each frame is code, not prose.
        is_code = (
            frame
            or (after_frame and line[:1].isspace())
            or bool(_TRACEBACK_NOISE.search(line) or _CODE_LINE.match(line))
            or bool(_EXCEPTION.match(line))
        )
        after_frame = frame
        if is_code:
            continue
        letters = sum(c.isalpha() for c in stripped)
        # Number dumps and array prints are mostly digits, brackets and signs.
        if letters < 0.4 * len(stripped.replace(" ", "")) or _NAME_LINE.match(line):
            data.append(line)
        elif in_fence:
            continue
        else:
            words.append(stripped)
    return words, data


# Printed values


def number_ulp(token: str) -> float:
    """The size of the last printed digit: "0.123" → 0.001, "1.5e-05" → 1e-06, "3" → 1."""
    t = token.lower().lstrip("+-")
    if t in ("nan", "inf"):
        return 0.0
    mantissa, _, exponent = t.partition("e")
    decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    return float(10.0 ** (int(exponent or 0) - decimals))


def _numbers(text: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    cleaned = _META.sub(" ", text)
    cleaned = re.sub(r"\b(?:array|tf\.Tensor|tensor|Tensor)\s*\(", "(", cleaned)
    # Printed ellipses in numpy summaries carry no value.
    cleaned = cleaned.replace("...", " ")
    values: list[float] = []
    ulps: list[float] = []
    for m in NUMBER.finditer(cleaned):
        token = m.group(1)
        try:
            value = float(token)
        except ValueError:
            continue
        values.append(value)
        ulps.append(number_ulp(token))
    return tuple(values), tuple(ulps)


def normalize_name(name: str) -> str:
    """Compare names loosely: ``a_next[4]``, ``A_next [4]`` and ``'a_next'[4]`` are one name."""
    return re.sub(r"[\s'\"]", "", name).lower()


def parse_values(text: str) -> list[Value]:
    """Split printed output into values, named when a line starts with ``name =`` or ``name:``.

    A value runs until the next named line, so multi-line numpy prints stay together.
    """
    if not text or not text.strip():
        return []
    blocks: list[tuple[str | None, list[str]]] = []
    for line in text.splitlines():
        m = _NAME_LINE.match(line)
        if m and not NUMBER.fullmatch(m.group(1)) and not _looks_like_prose_label(m.group(1)):
            blocks.append((m.group(1), [m.group(2)]))
        elif m and _looks_like_prose_label(m.group(1)) and m.group(2).strip():
            # "Expected output: [1, 2]": a label, not a name.
            blocks.append((None, [m.group(2)]))
        elif blocks and (line[:1].isspace() or _open_brackets("\n".join(blocks[-1][1]))):
            # numpy continues a multi-line array on indented lines inside open brackets.
            blocks[-1][1].append(line)
        else:
            blocks.append((None, [line]))
    out: list[Value] = []
    for name, lines in blocks:
        body = "\n".join(lines)
        numbers, ulps = _numbers(body)
        if not numbers and name is None:
            continue
        out.append(Value(name=name, numbers=numbers, ulps=ulps, text=body.strip()))
    return out


def _open_brackets(text: str) -> bool:
    return text.count("[") > text.count("]") or text.count("(") > text.count(")")


def _looks_like_prose_label(name: str) -> bool:
    return name.lower() in {
        "expected", "expected output", "output", "got", "actual", "result", "error", "note",
        "my output", "your output", "mine", "notebook", "answer",
    }  # fmt: skip


def close(a: float, b: float, ulp_a: float, ulp_b: float, *, rtol: float, atol: float) -> bool:
    """Equal within tolerance, or equal once both are rounded to the coarser printed precision."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    diff = abs(a - b)
    if diff <= max(atol, rtol * max(abs(a), abs(b))):
        return True
    # One side printed fewer digits: the true value lies within half its last digit.
    return diff <= 0.5 * max(ulp_a, ulp_b) * (1 + 1e-9) + 1e-15


# Helpers


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip()


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.strip()
        if key and key.lower() not in seen:
            seen.add(key.lower())
            out.append(key)
    return out
