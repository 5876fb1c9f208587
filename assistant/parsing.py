"""Read what a learner pasted: a question, a traceback, a failing test's message, printed arrays.

Pure functions, no database and no model. ``parse`` splits the input into

- exception type and message (``ValueError: shapes (5,3) and (4,) not aligned``; for an error
  Keras wraps, "Exception encountered when calling layer …", the wrapped error),
- assertion and test texts (``Wrong values for dW1``, ``Error: Wrong output``),
- function and test names (``File "...", line 12, in rnn_forward``, ``lstm_backward_test``),
- shapes, numbers and named arrays (numpy, ``array(...)``, ``tf.Tensor(...)``, scalars),
- an autograder's report pasted from a submission page (``Unexpected error (AssertionError(...))
  occurred during function check``), read as the exception and function it reports
  (``assistant.grader_reports``),

and turns identifiers and error strings into lexical terms and the prose into dense-search text.

Every pattern runs on RE2 (``core.linear_regex``): linear time in the text, whatever a
learner pastes, and each input field is cut to ``MAX_INPUT_CHARS`` first. RE2 has no lookaround
or backreferences, so a one-character lookbehind/lookahead is written as consumed context around
the reported group ``mc`` (``(?:\A|[^\w.])(?P<mc>…)(?:\W|\z)`` for ``(?<![\w.])…(?!\w)``),
which finds exactly the same matches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from assistant import chatter, grader_reports, pasted_code, posts
from assistant.claims import Outcome, claimed_outcome
from core.linear_regex import Pattern, cap

# Tracebacks


# 'File "x.py", line 3, in f' (Python) and 'File ~/x.py:3, in f(a, b)' (IPython 8).
_FRAME = Pattern(r'File\s+(?:"([^"]*)",\s+line\s+(\d+)|(\S+?):(\d+)),\s+in\s+([A-Za-z_<][\w<>.]*)')
# IPython 7 (Jupyter before 2023) wrote a frame as the path, then "in" and the function, on a
# line of its own: "~/work/W1A1/public_tests.py in rnn_forward_test(target)",
# "/tmp/ipykernel_12/29454.py in two_layer_model(X, Y)", "<__array_function__ internals> in
# dot(*args)", "... in <module>". Group 1 the path,
# 2 the function (followed by its arguments or nothing, so "utils.py in the folder" is no frame).
_FRAME_IPYTHON7 = Pattern(
    r"(?m)^\s*([~.]?/[\w./~-]*\.pyx?|[\w.-]+\.pyx?|<[\w .-]+>)"
    r"\s+in\s+([A-Za-z_<][\w<>.]*)(?:\(|\s*$)"
)
# An unquoted path starts only where its run of path characters starts (consumed context before
# group "mc"). The quoted and "File …" forms need no context; they never start where an
# unquoted path does (a '"' is no path character; "File" needs a space where a path needs '/').
_PATH = Pattern(
    r'(?P<m>File\s+(?:"[^"\n]*\.py"|[~/.\w-]*/[\w./-]+\.py(?::\d+)?)|"[^"\n]*\.py")'
    r"|(?:\A|[^~/.\w-])(?P<mc>[~/.\w-]*/[\w./-]+\.py(?::\d+)?)"
)
# "ValueError: msg", "tensorflow.python.framework.errors_impl.InvalidArgumentError: msg",
# also a bare "AssertionError" on its own line.
_EXCEPTION = Pattern(
    r"(?m)^\s*(?:[A-Za-z_][\w]*\.)*((?:[A-Z][A-Za-z0-9]*)?(?:Error|Exception|Warning|Interrupt|Exit))"
    r"(?:\s*:\s*(.*))?\s*$",
)
# Keras wraps an error raised inside a layer: the exception line says only where
# ('ValueError: Exception encountered when calling layer "conv2d" (type Conv2D).' in Keras 2,
# "... when calling Conv2D.call()." in Keras 3); the error itself is the paragraph after it, and
# a list of the call's arguments follows ("Call arguments received by layer ...:", "• inputs=…").
_KERAS_WRAPPER = Pattern(r"(?i)^Exception encountered when calling\b")
# TensorFlow's "InvalidArgumentError: Graph execution error:" (from ``model.fit``) says as little:
# "Detected at node '…' defined at (most recent call last):" and library frames follow, then
# "Node: '…'" and the error itself, closed by "[[{{node …}}]] [Op:…]".
_GRAPH_ERROR = Pattern(r"(?i)^Graph execution error:?$")
_GRAPH_NODE = Pattern(r"(?m)^\s*Node: '[^'\n]*'\s*$")
_GRAPH_DETECTED = Pattern(r"(?i)^\s*Detected at node\b")
_GRAPH_TAIL = Pattern(r"\s*\[\[\{\{node [^\n]*?\}\}\]\]|\s*\[Op:[^\]\n]*\]")
# The wrapped error is a paragraph: once it holds this many characters (its lines' stripped
# lengths), a blank line ends it. ``_wrapped_message`` reads it, ``_split_lines`` skips it.
_WRAPPED_PARAGRAPH = 40
_KERAS_ARGUMENTS = Pattern(r"(?i)^\s*(?:Call )?arguments received by\b|^\s*[•·]\s")
# Library frames tell little about the learner's problem: keep the notebook's own functions.
# (A compiled ".pyx" module is a library's: "File mtrand.pyx:1179, in numpy.random...rand".)
_LIBRARY_PATH = Pattern(r"site-packages|dist-packages|/lib/python\d|<__array_function__|\.pyx\b")
_TRACEBACK_NOISE = Pattern(
    r"Traceback \(most recent call last\)|^\s*-{5,}|^[~^\s]+$|^\s*During handling of"
    r"|^\s*Cell In\s*\[|^\s*<ipython-input-"
)
# An arrow line in IPython tracebacks: "---> 12     a_next = np.tanh(...)" or "  12 def f():".
_CODE_LINE = Pattern(r"^\s*(-*>\s*)?\d+\s{1,}\S")
# A Python statement inside a Markdown code fence: a comment or prompt, a line opened by a
# keyword, an assignment, a bare call, a block header (ends in ":"). Anything else a learner
# fences is what the program printed: an error or test message, their output in words.
_STATEMENT = Pattern(
    r"^\s*(?:#|>>>|\.\.\.\s|@)"
    r"|^\s*(?:def|class|return|import|from|for|while|if|elif|else|try|except|finally|with"
    r"|raise|assert|yield|pass|break|continue|lambda|global|del)(?:\s|:|\(|$)"
    r"|^\s*[\w.\[\]'\"]+(?:\s*,\s*[\w.\[\]'\"]+)*\s*(?:[-+*/%@&|^]|//|\*\*)?=[^=]"
    r"|^\s*[\w.]+\(.*\)\s*$|:\s*$|[;{}]\s*$"
)

# Assertion and test messages

# assert x, "message": the closing quote is the opening one (a backreference, f?(["'])(.+?)\1,
# before RE2), so one branch per quote; "assert\b" is "assert" then a non-word character or ",".
_ASSERT_STMT = Pattern(r"""assert(?:[^\w\n][^\n]*?)??,\s*(?:f?"(.+?)"|f?'(.+?)')""")
_MESSAGE_LINE = Pattern(
    r"(?mi)^\s*(?:Error|Failed|FAIL(?:ED)?|Test failed|AssertionError)\s*[:!-]\s*(.+)$"
)
# "\b" around the phrase: a non-word character (or the text's edge) outside group "mc"; after
# it, either a tail starting with a non-word character, or the end of the sentence.
_WRONG_KEY = (
    r"(?:wrong|incorrect|unexpected|mismatch(?:ed)?|invalid)\s+"
    r"(?:values?|outputs?|shapes?|types?|dimensions?|results?|number|length|dtype)"
)
_WRONG_PHRASE = Pattern(
    rf"(?i)(?:\A|\W)(?:(?P<mc>({_WRONG_KEY}[^\w\n.;][^\n.;]{{0,59}}))"
    rf"|(?P<mc2>({_WRONG_KEY}))(?:[\n.;]|\z))"
)
_TEST_RESULT = Pattern(r"(?i)(?:\A|\W)(?P<mc>(\d+\s+tests?\s+(?:passed|failed)))")
# A course test called with the function it checks: the cell line "----> 3
# rnn_forward_test(rnn_forward)", "public_tests.softmax_test(softmax)". The argument is the
# learner's function; when the test failed on its output, that function is in no frame (it had
# returned) and, without an underscore, in no other name the parser reads. Group 1 the test,
# group 2 its first argument.
_TEST_CALL = Pattern(
    r"(?:\A|[^\w.])(?P<mc>(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\(\s*([A-Za-z_]\w*)\s*[,)])"
)

# Identifiers

# snake_case with at least one underscore (rnn_forward, dW1 is handled below), dotted calls
# (np.dot, tf.keras.layers.Dense) and identifiers followed by "(".
_SNAKE = Pattern(r"(?:\A|[^\w.])(?P<mc>([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+))(?:\W|\z)")
_DOTTED = Pattern(r"(?:\A|[^\w.])(?P<mc>((?:np|tf|torch|keras|nn|F|jnp|pd)(?:\.[A-Za-z_]\w*)+))")
_CALL = Pattern(r"(?:\A|[^\w.])(?P<mc>([A-Za-z_]\w*)\()")
# Short code names that are no snake_case: a letter run with digits (W1, dW1, db2, Z3, x0),
# or a short lower-case prefix before a capital (dW, dWf, dA, dZ, dWax). Shapes, not one
# course's variable list: English words are neither ("The", "Why" have no digit and no prefix).
_PARAM = Pattern(
    r"(?:\A|[^\w.])(?P<mc>([A-Za-z]{1,3}\d{1,2}[a-z]?|[a-z]{1,2}[A-Z][A-Za-z]{0,3}\d{0,2}))"
    r"(?:\W|\z)"
)
# Keys of a dict of arrays: parameters["Wax"], grads['dWf'], cache["A_prev"].
_KEY = Pattern(r"\[\s*[\"'](?P<m>[A-Za-z_][A-Za-z0-9_]{0,30})[\"']\s*\]")
_CAMEL_ERROR = Pattern(
    r"(?:\A|\W)(?P<mc>([A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception|Warning)))(?:\W|\z)"
)

_STOP_CALLS = {
    "print", "len", "range", "int", "float", "str", "list", "dict", "tuple", "set", "array",
    "shape", "type", "isinstance", "zip", "enumerate", "max", "min", "sum", "abs", "round",
    "Tensor", "if", "for", "while", "return", "assert", "and", "or", "not", "in", "is",
    "line", "File", "def", "lambda", "with", "np", "tf", "dtype", "float32", "float64", "int64",
}  # fmt: skip

# Shapes and numbers

# Nested quantifiers: exponential under backtracking, linear on RE2.
_SHAPE = Pattern(r"\((\s*\d+\s*,(?:\s*\d+\s*,?)*)\)")
_DIGITS = Pattern(r"\d+")
# A number as numpy and Python print it: 1, -0.5, 1., .5, 3.2e-05, nan, inf.
_NUMBER_BODY = r"[-+]?(?:(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf)"
NUMBER = Pattern(rf"(?i)(?:\A|[^\w.])(?P<mc>({_NUMBER_BODY}))(?:\W|\z)")
_WHOLE_NUMBER = Pattern(rf"(?i)\A{_NUMBER_BODY}\z")
_META = Pattern(
    r"(?:\A|\W)(?P<mc>(?:dtype|shape|device|name)\s*=\s*(?:\([^)]*\)|[\w.:'\"/]+)"
    r"|dtype\s*:\s*[\w.]+)",
)
_WRAPPER = Pattern(r"(?:\A|\W)(?P<mc>(?:array|tf\.Tensor|tensor|Tensor)\s*\()")
_QUOTES_AND_SPACE = Pattern(r"[\s'\"]+")
# "a_next[4] = ...", "dW1 = ...", "cost:", "Expected output for dW1:", "mean =".
# "(?:=|:)(?!=)": the separator is not followed by "=" (so "a == b" is no name line); the
# separator's place is fixed by the name, so this reads as the first character after it.
_NAME_LINE = Pattern(
    r"\A\s*(?:[*\-]\s*)?([A-Za-z_][\w.]*(?:\[[^\]\n]{0,20}\])*(?:\.shape)?)"
    r"\s*(?:=|:)((?:[^=\n][^\n]*)?)\n?\z"
)
# A printed label of a few words before ``=`` or ``:`` and a value: "iou for intersecting boxes =
# 0.14", "Cost after iteration 100: 0.69", "mean of dA = 0.14". Notebooks print their checks so;
# the label names the value as ``a_next[4]`` does, so two prints of one number under different
# labels are different values. The value must start like a number, an array or a tensor.
_LABEL_LINE = Pattern(
    r"\A\s*(?:[*\-]\s*)?([A-Za-z][\w',()-]*(?: +[\w',()\[\]-]+){1,7}?)\s*(?:=|:)\s*"
    r"((?:[-+]?\.?\d|\[|\(|array\(|tf\.Tensor\(|tensor\()[^\n]*)\n?\z"
)
_DECIMAL = Pattern(r"\d\.\d")
# Words just before a number that make it the notebook's number, not the learner's own
# ("expected 0.41 but mine is 0.28", "the notebook shows 0.41 instead of 0.28", "the expected
# cost is 0.41": up to two words between).
_THEIRS = Pattern(
    r"(?i)(?:expect\w*|should(?:\s+be)?|printed|prints|says|shows|instead\s+of|not|vs\.?|versus)"
    r"(?:[\s:=]+\w+){0,2}[\s:=]*\z"
)
# A data line's value is numbers, arrays, shapes, True/False/None or quoted strings; words there
# are the learner's own ("kmeans: every point ends up in the same cluster"). Word runs are read
# whole (maximal ``[\w.]`` runs, so ``np.mean`` or ``dW1`` is no plain word).
_WORD_RUN = Pattern(r"[A-Za-z_][\w.]*")
_QUOTED = Pattern(r"'[^'\n]*'|\"[^\"\n]*\"")
_VALUE_WORDS = {
    "true", "false", "none", "nan", "inf", "array", "tensor", "dtype", "shape", "float", "int",
    "bool", "device", "name", "numpy", "np", "tf", "torch", "cpu", "gpu",
}  # fmt: skip
_FRAME_CELL = Pattern(
    r"(?:Cell In\s*\[\d*\]|<ipython-input-[\w-]+>),?\s*(?:line \d+,?\s*)?in\s+([A-Za-z_]\w*)"
)


def _name_line(line: str) -> tuple[str, str] | None:
    """``(name, rest)`` for a line such as ``a_next[4] = [...]`` or ``cost: 0.5``, else None."""
    m = _NAME_LINE.match(line)
    if m is None:
        return None
    # Python's "\s*(.*)" after the separator: the rest without its leading whitespace.
    return m.group(1), m.group(2).lstrip()


def _label_line(line: str) -> tuple[str, str] | None:
    """``(label, rest)`` for a line such as ``iou for intersecting boxes = 0.14``: two to eight
    words (no number with a decimal point, brackets balanced, not "expected output"), then a
    value."""
    m = _LABEL_LINE.match(line)
    if m is None:
        return None
    label = " ".join(m.group(1).split())
    if (
        _DECIMAL.search(label)
        or label.count("(") != label.count(")")
        or label.count("[") != label.count("]")
        or _looks_like_prose_label(label)
    ):
        return None
    return label, m.group(2)


def _is_sentence(rest: str) -> bool:
    """Whether what follows ``name:`` / ``name =`` is words, not a value: at least three plain
    words (letters only, not ``True``/``nan``/``dtype``…, not a call or a keyword argument) that
    make up at least half of its characters once quoted strings are dropped, and no error name
    (``rnn_test: AssertionError: Wrong values`` is an error line)."""
    text = _QUOTED.sub(" ", rest)
    solid = sum(not c.isspace() for c in text)
    count = letters = 0
    for m in _WORD_RUN.finditer(text):
        # A sentence's full stop is no part of its last word.
        word = m.group(0).rstrip(".")
        after = text[m.end() : m.end() + 1]
        if (
            word.isalpha()
            and len(word) > 1
            and word.lower() not in _VALUE_WORDS
            and after not in ("(", "=")
        ):
            count += 1
            letters += len(word)
    return count >= 3 and 2 * letters >= solid and _CAMEL_ERROR.search(rest) is None


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
    # Numbers the learner quotes in their words as their own ("I get 2.0424567983978403").
    quoted: list[Value] = field(default_factory=list)
    # What the learner says their tests do (``assistant.claims``).
    test_outcome: Outcome = Outcome.unknown

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
    # An autograder's report reads as the traceback it stands for (``grader_reports``).
    question, graded = grader_reports.normalize(posts.plain(cap(question)))
    pasted, graded_too = grader_reports.normalize(cap(traceback or "", keep_tail=True))
    text = "\n".join(t for t in (question, pasted) if t)
    output = cap(output or "")
    result = Parsed()
    _parse_exception(text, result)
    _parse_frames(text, result)
    result.functions = _unique([*result.functions, *graded, *graded_too, *_tested(text)])
    result.assertions = _unique(_assertions(text, result.exception_message))
    names = _unique(_identifiers(text))  # read once: tests and the other names
    result.tests = [t for t in names if _is_test(t)]
    result.identifiers = [i for i in names if i not in result.functions and i not in result.tests]
    result.shapes = shapes(text)
    all_values = parse_values(output or "") + parse_values("\n".join(_split_lines(text)[1]))
    result.values = [v for v in all_values if v.numbers]
    result.numbers = [n for v in result.values for n in v.numbers]
    result.prose = prose(question)
    result.quoted = quoted_numbers(result.prose)
    result.test_outcome = claimed_outcome(text, output, exception_type=result.exception_type)
    return result


def quoted_numbers(text: str) -> list[Value]:
    """The numbers in the learner's words that they give as their own: not the ones they
    introduce as the notebook's ("expected 0.41", "the notebook shows 0.41")."""
    out: list[Value] = []
    for m in NUMBER.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        if _THEIRS.search(before.rstrip()):
            continue
        token = m.group(1)
        try:
            value = float(token)
        except ValueError:
            continue
        out.append(Value(name=None, numbers=(value,), ulps=(number_ulp(token),), text=token))
    return out


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
    if _KERAS_WRAPPER.search(message):
        message = _wrapped_message(text[last.end() :]) or message
    elif _GRAPH_ERROR.search(message):
        nodes = list(_GRAPH_NODE.finditer(text[last.end() :]))
        if nodes:
            after = text[last.end() + nodes[-1].end() :]
            message = _GRAPH_TAIL.sub("", _wrapped_message(after)).strip() or message
    result.exception_message = message or None


def _wrapped_message(after: str) -> str:
    """The error Keras wrapped: the lines after its wrapper line, up to the call's arguments."""
    lines: list[str] = []
    for line in after.splitlines():
        if _KERAS_ARGUMENTS.search(line) or _EXCEPTION.match(line):
            break
        if line.strip():
            lines.append(line.strip())
        elif sum(map(len, lines)) > _WRAPPED_PARAGRAPH:
            break  # the paragraph is complete; what follows may be the learner's words
    return _clip(" ".join(lines), 600)


def _parse_frames(text: str, result: Parsed) -> None:
    frames = [(m.group(1) or m.group(3), m.group(5)) for m in _FRAME.finditer(text)]
    frames += [(m.group(1), m.group(2)) for m in _FRAME_IPYTHON7.finditer(text)]
    # IPython's "Cell In[5], line 12, in rnn_forward(x, a0, parameters)" and older
    # "<ipython-input-5-...> in rnn_forward(x, a0)" frames.
    for m in _FRAME_CELL.finditer(text):
        frames.append(("<notebook>", m.group(1)))
    names = [
        name
        for path, name in frames
        if not _LIBRARY_PATH.search(path) and not name.startswith("<") and name != "<module>"
    ]
    result.functions = _unique(names)


def _is_test(name: str) -> bool:
    return name.startswith("test_") or name.endswith(("_test", "_tests"))


def _tested(text: str) -> list[str]:
    """The functions the text hands to a course test (``_TEST_CALL``); a frame's own signature
    ("File ~/work/public_tests.py:41, in rnn_forward_test(target)") and a pasted test's
    definition ("def rnn_forward_test(target):") are no call."""
    return [
        m.group(2)
        for m in _TEST_CALL.finditer(text)
        if _is_test(m.group(1))
        and not _is_test(m.group(2))
        and text[max(0, m.start() - 4) : m.start()].strip() not in ("in", "def")
    ]


def _assertions(text: str, exception_message: str | None) -> list[str]:
    found: list[str] = []
    if exception_message:
        found.append(exception_message)
    found += [(m.group(1) or m.group(2)).strip() for m in _ASSERT_STMT.finditer(text)]
    found += [m.group(1).strip() for m in _MESSAGE_LINE.finditer(text)]
    found += [m.group(0).strip() for m in _WRONG_PHRASE.finditer(text)]
    found += [m.group(1).strip() for m in _TEST_RESULT.finditer(text)]
    return [_clip(f.strip(" \"'"), 200) for f in found if len(f.strip(" \"'")) >= 3]


def _identifiers(text: str) -> list[str]:
    # Only code-looking names: snake_case, dotted library calls, parameter names and calls.
    text = _PATH.sub(" ", text)
    found: list[tuple[int, str]] = []
    for pattern in (_SNAKE, _DOTTED, _PARAM):
        found += [(m.start(), m.group(1)) for m in pattern.finditer(text)]
    found += [(m.start(), m.group(0)) for m in _KEY.finditer(text)]
    found += [
        (m.start(), m.group(1))
        for m in _CALL.finditer(text)
        if m.group(1) not in _STOP_CALLS and len(m.group(1)) > 2 and not m.group(1).istitle()
    ]
    found.sort()
    return [name for _, name in found if not name.lower().startswith(("http", "www"))]


def identifiers_in(text: str) -> list[str]:
    """The code-looking names of a text (snake_case, dotted calls, short parameter names such
    as ``dW1``, dict keys, calls), each once."""
    return _unique(_identifiers(cap(text)))


def shapes(text: str) -> list[tuple[int, ...]]:
    """Tuples of integers such as ``(5, 10)`` or ``(4,)``."""
    out: list[tuple[int, ...]] = []
    for m in _SHAPE.finditer(cap(text)):
        digits = _DIGITS.findall(m.group(1))
        # No shape has a dimension of 19 digits; int() of thousands of them raises.
        if any(len(d) > 18 for d in digits):
            continue
        dims = tuple(int(d) for d in digits)
        if dims and dims not in out:
            out.append(dims)
    return out


def prose(question: str) -> str:
    """The learner's own words: the question without traceback frames, code and number dumps,
    and without the greetings, thanks and pleas around them (``assistant.chatter``)."""
    lines = chatter.strip([line.strip() for line in _split_lines(cap(question))[0]])
    return _clip(" ".join(lines), 2000)


def _split_lines(text: str) -> tuple[list[str], list[str]]:
    """Split pasted text into prose lines and data lines (array prints, ``name = value``). The
    learner's pasted code is neither (``assistant.pasted_code``)."""
    words: list[str] = []
    data: list[str] = []
    in_fence = False
    block = pasted_code.Block()
    after_frame = False
    # Characters of the error Keras (or TensorFlow's graph) wrapped read so far (None: not
    # inside one), as ``_wrapped_message`` reads it: the error's words, not the learner's.
    wrapped: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(posts.FENCES):
            in_fence = not in_fence
            block.end()
            continue
        if wrapped is not None and not _KERAS_ARGUMENTS.search(line):
            if stripped:
                wrapped += len(stripped)
                continue
            wrapped = None if wrapped > _WRAPPED_PARAGRAPH else wrapped
            continue
        wrapped = None
        if not stripped:
            continue
        if block.code(line) or pasted_code.is_marker(line):
            continue
        frame = bool(_FRAME.search(line) or _FRAME_IPYTHON7.match(line) or _FRAME_CELL.search(line))
        exception = _EXCEPTION.match(line)
        node = _GRAPH_NODE.match(line)
        # The source line Python prints under each frame is code, not prose.
        is_code = (
            frame
            or (after_frame and line[:1].isspace())
            or bool(_TRACEBACK_NOISE.search(line) or _CODE_LINE.match(line))
            or exception is not None
            or bool(_KERAS_ARGUMENTS.search(line) or _GRAPH_DETECTED.search(line))
            or node is not None
        )
        after_frame = frame
        if node is not None or (
            exception is not None and _KERAS_WRAPPER.search((exception.group(2) or "").strip())
        ):
            wrapped = 0  # the error's own paragraph follows
        if is_code:
            continue
        # A ``name = value`` / ``name: value`` line whose value is not words: printed data, or
        # a statement ("dW = 1 / m * np.dot(dZ, A_prev.T)"), which is neither data nor prose.
        named = _name_line(line)
        name_line = named is not None and not _is_sentence(named[1])
        if named is not None and name_line and pasted_code.is_expression(named[1]):
            continue
        letters = sum(c.isalpha() for c in stripped)
        # Number dumps and array prints are mostly digits, brackets and signs.
        if letters < 0.4 * len(stripped.replace(" ", "")) or name_line:
            data.append(line)
        elif in_fence and _STATEMENT.search(line):
            continue  # fenced code; a fenced message still speaks
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
    if len(exponent.lstrip("+-")) > 6:  # a pasted run of digits, no float's exponent
        exponent = "-999" if exponent.startswith("-") else "999"
    # Beyond a float's range: 10.0 ** 400 raises, 10.0 ** -400 is 0.0.
    return float(10.0 ** min(308, int(exponent or 0) - decimals))


def _numbers(text: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    cleaned = _META.sub(" ", text)
    cleaned = _WRAPPER.sub("(", cleaned)
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
    return _QUOTES_AND_SPACE.sub("", name).lower()


def parse_values(text: str) -> list[Value]:
    """Split printed output into values, named when a line starts with ``name =`` or ``name:``
    (or a printed label of a few words: ``iou for intersecting boxes = 0.14``).

    A value runs until the next named line, so multi-line numpy prints stay together.
    """
    if not text or not text.strip():
        return []
    blocks: list[tuple[str | None, list[str]]] = []
    # Bracket balance of the last block, kept as lines are added (recounting the whole block
    # for every line was quadratic in a long print).
    balance = [0, 0]
    for line in cap(text).splitlines():
        named = _name_line(line) or _label_line(line)
        if named and not _WHOLE_NUMBER.match(named[0]) and not _looks_like_prose_label(named[0]):
            blocks.append((named[0], [named[1]]))
            balance = _brackets(named[1])
        elif named and _looks_like_prose_label(named[0]) and named[1].strip():
            # "Expected output: [1, 2]": a label, not a name.
            blocks.append((None, [named[1]]))
            balance = _brackets(named[1])
        elif blocks and (line[:1].isspace() or balance[0] > 0 or balance[1] > 0):
            # numpy continues a multi-line array on indented lines inside open brackets.
            blocks[-1][1].append(line)
            balance = [a + b for a, b in zip(balance, _brackets(line), strict=True)]
        else:
            blocks.append((None, [line]))
            balance = _brackets(line)
    out: list[Value] = []
    for name, lines in blocks:
        body = "\n".join(lines)
        numbers, ulps = _numbers(body)
        if not numbers and name is None:
            continue
        out.append(Value(name=name, numbers=numbers, ulps=ulps, text=body.strip()))
    return out


def _brackets(text: str) -> list[int]:
    """How many more "[" than "]", and "(" than ")", ``text`` opens."""
    return [text.count("[") - text.count("]"), text.count("(") - text.count(")")]


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
