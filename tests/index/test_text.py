"""The one tokenizer and the one fusion, as a searcher experiences them."""

from __future__ import annotations

import pytest

from index.fusion import K, rrf, rrf_score
from index.lexical import LexicalIndex
from index.text import tokenize

pytestmark = pytest.mark.nodb


def _search(docs: dict[int, str], query: str) -> list[int]:
    lex = LexicalIndex()
    lex.rebuild(docs.items())
    return [label for label, _ in lex.search(tokenize(query), 10)]


def test_identifier_query_matches_its_snake_case_parts() -> None:
    docs = {1: "the lstm forward pass returns wrong shapes", 2: "kernel dies on import"}
    assert _search(docs, "lstm_forward") == [1]
    assert _search(
        {1: "lstm_forward(x) returns wrong shapes", 2: "kernel dies"}, "lstm forward"
    ) == [1]


def test_dotted_name_is_kept_whole_and_split() -> None:
    assert tokenize("Call np.linalg.norm(x).") == [
        "call",
        "np.linalg.norm",
        "np",
        "linalg",
        "norm",
        "x",
    ]


def test_exact_dotted_name_outranks_its_scattered_parts() -> None:
    # The short document has all three parts; only the long one names the function exactly.
    docs = {
        1: "np linalg norm",
        2: "please call np.linalg.norm on the gradient vector before the update step",
    }
    assert _search(docs, "np.linalg.norm")[0] == 2


def test_stop_words_do_not_match_on_their_own() -> None:
    assert _search({1: "what is the reason", 2: "softmax overflow"}, "what is the") == []


def test_fusion_prefers_items_both_rankings_place_high() -> None:
    dense = ["a", "both", "c", "d"]
    lexical = ["x", "both", "y", "a"]
    fused = [item for item, _ in rrf([dense, lexical])]
    assert fused[0] == "both"
    assert fused.index("a") < fused.index("x")  # "a" is in both lists, "x" in one


def test_fusion_score_counts_each_ranking_once() -> None:
    assert rrf_score((1, None)) == pytest.approx(1 / (K + 1))
    assert rrf_score((2, 2)) > rrf_score((1, None))
    assert rrf([["a", "a", "b"]]) == [
        ("a", pytest.approx(1 / (K + 1))),
        ("b", pytest.approx(1 / (K + 3))),
    ]
    with pytest.raises(ValueError):
        rrf([["a"]], k=0)
