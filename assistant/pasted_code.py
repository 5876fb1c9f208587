"""The learner's own code pasted into a question: read as code, not as their words or output.

Learners paste the function they are stuck on, in a fence or not (Discourse shows an unfenced
paste as it is), with the notebook's docstring and the template's markers:

    def linear_backward(dZ, cache):
        \"\"\"
        Implement the linear portion of backward propagation for a single layer (layer l)

        Arguments:
        dZ -- Gradient of the cost with respect to the linear output (of current layer l)
        ...
        \"\"\"
        A_prev, W, b = cache
        m = A_prev.shape[1]
        ### START CODE HERE ### (≈ 3 lines of code)
        dW = 1 / m * np.dot(dZ, A_prev.T)

The docstring is a paragraph of the course's own vocabulary: read as the learner's prose it says
"gradient", "cost", "same shape as A_prev" for every question about that function, and an
erratum about that docstring matches it word for word. ``dW = 1 / m * np.dot(...)`` is no
printed value ``dW = 1``. ``Block`` follows a pasted ``def``/``class`` line by line: its
indented body, its docstrings (also where the paste lost its indentation) and its statements
are code. ``is_expression`` tells ``name = <code>`` from ``name = <printed value>``.

The identifiers in the code still count (the parser reads them from the whole text): they say
which function the learner is in. Every pattern runs on RE2.
"""

from __future__ import annotations

from core.linear_regex import Pattern

# "def f(", "async def f(", "class Model(", "class Model:".
_OPENER = Pattern(r"^\s*(?:(?:async\s+)?def\s+[A-Za-z_]\w*\s*\(|class\s+[A-Za-z_]\w*\s*[(:])")
_TRIPLE = Pattern(r"\"\"\"|'''")
# The notebook templates' markers: "### START CODE HERE ### (≈ 3 lines of code)",
# "# YOUR CODE STARTS HERE", "# (approx. 2 lines)".
_MARKER = Pattern(
    r"(?i)^\s*#+\s*(?:(?:START|END)\s+CODE\s+HERE|YOUR\s+CODE\s+(?:STARTS|ENDS)\s+HERE"
    r"|\((?:≈|approx\.?|~)\s*\d+\s+lines?)"
)
# What makes ``name = rest`` a statement: an identifier beside an arithmetic operator
# ("1 / m", "m * x", "m-1"; not a sign: "expected -0.4"), a method or module call ("np.dot(",
# "x.reshape("), a call of a plain lower-case function ("sigmoid(z)"), an index into a name
# ("A_prev.shape[1]", "grads['dW']"), or nothing but names ("cache", "a, b"). A printed value
# has none of these: "array([[1.]])", "tf.Tensor(0.5, shape=(), dtype=float32)", "[0.1 -0.2]",
# "1e-05", "True".
_EXPRESSION = Pattern(
    r"(?:\A|[^\w.])(?P<mc>([A-Za-z_]\w*(?:\.\w+)*(?:\s*[*/@%\[]|[-+]|\s+[-+]\s)))"
    r"|(?P<m>([*/@%]\s*[A-Za-z_]))"
    r"|(?P<m2>(\.[a-z_]\w*\s*\())"
    r"|(?:\A|[^\w.])(?P<mc2>([a-z_]\w*\s*\())"
    r"|(?P<m3>(\A\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*\z))"
)
# A line that continues a paste which lost its indentation: a comment or decorator, a block
# header ("for i in range(m):", "else:"), a simple statement ("return dW", "pass"), an import, an
# assignment, a bare call. Not a sentence that happens to start with "if" or "for".
_CONTINUES = Pattern(
    r"^\s*(?:#|@)"
    r"|^\s*(?:for|while|if|elif|else|try|except|finally|with|def|class)\b[^\n]*:\s*(?:#[^\n]*)?$"
    r"|^\s*(?:return|pass|break|continue|raise|assert|yield|del|global)(?:\s|\(|$)"
    r"|^\s*(?:import\s+\w|from\s+[\w.]+\s+import\s)"
    r"|^\s*[\w.\[\]'\"]+(?:\s*,\s*[\w.\[\]'\"]+)*\s*(?:[-+*/%@&|^]|//|\*\*)?=[^=]"
    r"|^\s*[\w.]+\([^\n]*\)\s*$"
)
# Reprs a printed value starts with ("array(", numpy 2's "np.float64(", "dtype('int64')"), and
# names that are printed values themselves ("True", "nan").
_PRINTED = Pattern(
    r"(?i)^(?:array|tensor|masked_array|matrix|dtype|device|true_?|false_?|none|nan|inf"
    r"|(?:float|int|uint|complex)\d*|bool_?|str_)$"
)
_LEADING = Pattern(r"[A-Za-z_]\w*")


def is_expression(rest: str) -> bool:
    """Whether the right-hand side of ``name = rest`` is code, not a printed value."""
    for m in _EXPRESSION.finditer(rest):
        word = _LEADING.search(m.group(0))
        if word is None or _PRINTED.search(word.group(0)) is None:
            return True
    return False


def is_marker(line: str) -> bool:
    """A template marker line ("### START CODE HERE ###"): code wherever it stands."""
    return _MARKER.search(line) is not None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


class Block:
    """Reads lines in order; ``code(line)`` says whether the line belongs to a pasted function
    or class (its header, its indented body, its docstring). A paste that lost its indentation
    continues while its lines are statements or inside a docstring. Blank lines are not
    passed: a block goes on across them."""

    def __init__(self) -> None:
        self._indent: int | None = None  # the header's indent while inside a block
        self._docstring: int | None = None  # the indent of an open docstring's first quotes

    def end(self) -> None:
        """A fence opens or closes: so does any block."""
        self._indent = self._docstring = None

    def code(self, line: str) -> bool:
        if self._indent is None:
            if _OPENER.search(line) is None:
                return False
            self._indent = _indent(line)
            self._toggle(line)
            return True
        if self._docstring is not None and _indent(line) < self._docstring:
            # A line left of where the docstring opened: the paste was cut inside it.
            self.end()
            return False
        if self._docstring is not None or _TRIPLE.search(line):
            self._toggle(line)
            return True
        if _indent(line) > self._indent or _CONTINUES.search(line) is not None:
            return True
        self._indent = None  # the learner's words again
        return False

    def _toggle(self, line: str) -> None:
        if len(_TRIPLE.findall(line)) % 2:
            self._docstring = _indent(line) if self._docstring is None else None
