"""Misspelt words are read as the course's words (issue #13): the course's content is the
dictionary, the sentence model's vocabulary says what is a real word, code is never touched."""

from __future__ import annotations

import pytest

from assistant import spelling
from assistant.links import learn

pytestmark = pytest.mark.nodb

CONTENT = [
    "rnn_forward: the gradient of the second layer is wrong",
    "gradient check: the difference is large for the second layer",
    "dimension mismatch when slicing x[:, :, t] in rnn_forward",
    "the dimension of dW1 differs, slices of the input",
    "my slices of the batch have the wrong dimension",
    "a_next has the wrong gradient after the second step",
]


@pytest.fixture(scope="module")
def stats():  # type: ignore[no-untyped-def]
    return learn(CONTENT)


def test_a_misspelt_word_becomes_the_course_word(stats) -> None:  # type: ignore[no-untyped-def]
    fixed = spelling.correct("The gradiant of the secnod layer is off", stats)
    assert fixed == "The gradient of the second layer is off"


def test_a_real_word_the_course_never_uses_is_left_alone(stats) -> None:  # type: ignore[no-untyped-def]
    words = spelling.dictionary()
    assert "slides" in words and "slides" not in stats.words
    # "slides" is one edit from the course's "slices", but it is a word.
    assert spelling.correct("as in the lecture slides", stats, words) == "as in the lecture slides"
    assert spelling.correct("my sliecs are off", stats, words) == "my slices are off"


def test_code_and_stop_words_are_never_corrected(stats) -> None:  # type: ignore[no-untyped-def]
    text = "there np.gradiant a_secnod gradiant2 dimenson_x"
    assert spelling.correct(text, stats) == text


def test_no_single_best_word_means_no_correction() -> None:
    stats = learn(["the cart is here", "the cart again", "a card here", "a card again"])
    assert spelling.correction("carts", stats) == "cart"
    assert spelling.correction("carx", stats) is None  # under MIN_LENGTH letters
    tie = learn(["bxxab one", "bxxab two", "bxxac one", "bxxac two"])
    assert spelling.correction("bxxaz", tie) is None  # "bxxab" and "bxxac" equally used


def test_nothing_learned_changes_nothing() -> None:
    assert spelling.correct("the gradiant", learn([])) == "the gradiant"


def test_a_paste_of_unknown_words_costs_a_bounded_number_of_lookups(stats) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(f"qzqzq{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(500))
    calls = 0
    real = spelling._nearest

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    spelling._nearest = counting  # type: ignore[assignment]
    try:
        spelling.correct(text, stats)
    finally:
        spelling._nearest = real  # type: ignore[assignment]
    assert calls == spelling.MAX_UNKNOWN


def test_the_models_dictionary_is_read_from_the_files_it_ships_with(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from index.encoder import model_words

    wordpiece = tmp_path / "wordpiece"
    wordpiece.mkdir()
    (wordpiece / "vocab.txt").write_text("[PAD]\nslides\n##ing\nGradient\n2d\n")
    assert model_words(str(wordpiece)) == {"slides", "gradient"}
    bpe = tmp_path / "bpe"
    bpe.mkdir()
    vocab = {"Ġslides": 0, "ing": 1, "▁chance": 2, "<s>": 3}
    (bpe / "tokenizer.json").write_text(json.dumps({"model": {"vocab": vocab}}))
    assert model_words(str(bpe)) == {"slides", "chance"}  # "ing" continues a word
    assert model_words(str(tmp_path / "nothing")) == frozenset()
