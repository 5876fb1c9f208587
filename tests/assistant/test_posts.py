"""A question written in the forum's Markdown reads as the same question pasted plain (issue #13):
quotes, bold, backticks, screenshots, links and HTML entities change nothing the assistant
matches on, while code (``10 ** r``, a ``>>>`` prompt, anything fenced) is left as pasted."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.parsing import Parsed, parse
from assistant.posts import plain
from index.text import token_set

pytestmark = pytest.mark.nodb

QUESTIONS = Path(__file__).resolve().parents[2] / "bench" / "eval" / "data" / "questions"
_NAME = re.compile(r"\b([A-Za-z_]\w*_\w*|[A-Za-z]+\d\w*)\b")
_NUMBER = re.compile(r"(?<![\w.])(\d+\.\d+)(?![\w.])")


def _questions() -> list[str]:
    out = []
    for path in sorted(QUESTIONS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.split("\n"))


def _backticked(text: str) -> str:
    if "\n" in text:
        return text  # a paste: names in backticks only in prose
    return _NUMBER.sub(r"`\1`", _NAME.sub(r"`\1`", text))


def _bold_names(text: str) -> str:
    return text if "\n" in text else _NAME.sub(r"**\1**", text)


def _screenshot(text: str) -> str:
    return f"{text}\n![Screenshot 2026-11-30 at 10.12.03](upload://a8Bc9dE0fG.png)"


def _fenced(text: str) -> str:
    """A paste in a code fence; a first line of words stays outside as the post's lead."""
    lead, _, rest = text.partition("\n")
    return f"{lead}\n```\n{rest}\n```" if rest else f"```\n{text}\n```"


DRESSINGS: dict[str, Callable[[str], str]] = {
    "quoted": _quoted,
    "backticks": _backticked,
    "bold names": _bold_names,
    "screenshot": _screenshot,
    "html entities": lambda t: html.escape(t, quote=True),
    "fenced": _fenced,
}


def _reading(p: Parsed) -> tuple[object, ...]:
    """What retrieval and the verdicts use of a parse."""
    return (
        p.exception_type,
        p.exception_message,
        p.assertions,
        p.functions + p.tests + p.identifiers,
        p.shapes,
        repr([v.numbers for v in p.values]),  # repr: nan equals nan
        repr([v.numbers for v in p.quoted]),
        token_set(p.prose),
    )


@pytest.mark.parametrize("dressing", DRESSINGS)
def test_every_eval_question_reads_the_same_dressed_in_markdown(dressing: str) -> None:
    dress = DRESSINGS[dressing]
    questions = _questions()
    assert len(questions) >= 300
    for q in questions:
        plain_read, dressed_read = _reading(parse(q)), _reading(parse(dress(q)))
        if dressing == "fenced":
            # Fenced code is code, not the learner's words: the prose may only lose words.
            assert dressed_read[:6] == plain_read[:6], q
            assert dressed_read[7] <= plain_read[7], q  # type: ignore[operator]
        else:
            assert dressed_read == plain_read, q


def test_the_dressing_comes_off() -> None:
    text = (
        "The notebook says:\n> **Expected output:** `cost = 0.6930587610394646`\n"
        "but I get &gt; 0.69 ![image](upload://x.png) in [compute_cost](https://x.org/nb)<br>"
    )
    assert plain(text) == (
        "The notebook says:\nExpected output: cost = 0.6930587610394646\n"
        "but I get > 0.69  in compute_cost\n"
    )


def test_the_forums_own_markup_comes_off() -> None:
    # Discourse: a quote of another post, folded and hidden code, a mention.
    text = (
        '[quote="mentor, post:2, topic:123"]\nDid you use np.log?\n[/quote]\n'
        "Hi @TMosh, yes and compute_cost is still nan\n"
        '[details="my code"]\n<details><summary>code</summary>\n'
        "[spoiler]cost = -np.sum(Y * np.log(A))[/spoiler]\n</details>\n[/details]"
    )
    assert plain(text) == (
        "\nDid you use np.log?\n\nHi , yes and compute_cost is still nan\n\ncode\n"
        "cost = -np.sum(Y * np.log(A))\n\n"
    )
    p = parse(text)
    assert "TMosh" not in p.prose and "quote" not in p.prose and "spoiler" not in p.prose
    # An address and a matrix product are no mention.
    assert plain("mail a@b.com, C = A @ B") == "mail a@b.com, C = A @ B"


def test_code_keeps_its_operators_and_prompts() -> None:
    code = "alpha = 10 ** r\n>>> x = a * b\nnp.sum(A**2)\nmy __init__ sets self.__x__"
    assert plain(code) == code
    fenced = "```python\n**kwargs\n> not a quote\n`tick`\n```"
    assert plain(fenced) == fenced


def test_a_fence_inside_a_quote_is_read_as_a_fence() -> None:
    p = parse("> ```\n> ValueError: shapes (5,3) and (10,1) not aligned\n> ```")
    assert p.exception_type == "ValueError"
    assert p.exception_message == "shapes (5,3) and (10,1) not aligned"


def test_a_quoted_expected_output_is_a_value_not_words() -> None:
    p = parse("rnn cell:\n> a_next[4] = [-0.59 0.01 0.21 0.07 0.55]")
    assert [v.name for v in p.values] == ["a_next[4]"]
    assert "0.59" not in p.prose
