"""The lexical side on its own: identifier tokenising and base + delta segments."""

from __future__ import annotations

import random

import pytest

from index.lexical import LexicalIndex, tokenize

pytestmark = pytest.mark.nodb


def test_tokenize_keeps_identifiers_whole_and_split() -> None:
    assert tokenize("lstm_forward(a_next) raised AssertionError: dW1") == [
        "lstm_forward", "lstm", "forward", "a_next", "next", "raised", "assertionerror", "dw1",
    ]  # fmt: skip


def test_search_after_changes_equals_fresh_build() -> None:
    rng = random.Random(1)
    words = [
        "lstm_forward",
        "a_next",
        "dW1",
        "gradient",
        "kernel",
        "softmax",
        "output",
        "expected",
        "wrong",
        "values",
    ]
    texts = {i: " ".join(rng.choice(words) for _ in range(rng.randint(3, 30))) for i in range(400)}
    changed = LexicalIndex()
    changed.rebuild(texts.items())
    for i in range(100):  # removed from the base
        changed.remove(i)
        del texts[i]
    for i in range(100, 150):  # replaced: dead in the base, alive in the delta
        texts[i] = "lstm_forward again " + texts[i]
        changed.add(i, texts[i])
    for i in range(400, 450):  # new, delta only
        texts[i] = "new a_next kernel"
        changed.add(i, texts[i])
    fresh = LexicalIndex()
    fresh.rebuild(texts.items())
    assert len(changed) == len(fresh) == len(texts)
    for terms in (["lstm_forward"], ["a_next", "kernel"], ["gradient", "wrong", "values"]):
        for allow in (None, lambda label: label % 7 == 0):
            got = changed.search(terms, 10, allow)
            want = fresh.search(terms, 10, allow)
            assert [round(s, 4) for _, s in got] == [round(s, 4) for _, s in want]
            assert {lab for lab, _ in got} <= set(texts)


def test_saved_arrays_round_trip() -> None:
    lex = LexicalIndex()
    lex.rebuild([(1, "lstm_forward output"), (2, "kernel dies")])
    lex.add(3, "dW1 mismatch")
    lex.remove(2)
    loaded, delta = LexicalIndex.from_arrays(lex.to_arrays())
    assert delta == [3]
    loaded.add(3, "dW1 mismatch")
    assert [lab for lab, _ in loaded.search(["dw1"], 5)] == [3]
    assert loaded.search(["kernel"], 5) == []
    assert [lab for lab, _ in loaded.search(["lstm_forward"], 5)] == [1]
