"""Forum chatter around a question (greetings, thanks, pleas, apologies) is not what the
learner asks: the prose the assistant searches and compares with is the same with or without
it, and a sentence that names code or a number is never dropped. A longer question also loses
the sentences whose words the course's own content ties to no code."""

from __future__ import annotations

import pytest

from assistant.chatter import keep_telling, strip_line
from assistant.links import LinkStats, learn
from assistant.parsing import parse

pytestmark = pytest.mark.nodb

QUESTION = "linear backward: the weight gradient is slightly off even though I average over m."


@pytest.mark.parametrize(
    "wrapped",
    [
        f"Hi all, {QUESTION} Thanks in advance!",
        f"Hello everyone!\n{QUESTION}\nAny help would be greatly appreciated. Regards, Priya",
        f"hey guys, sorry if this was asked before. {QUESTION} what am I doing wrong??",
        f"Dear mentors, I have been stuck on this for two days now. {QUESTION} Please help me.",
        f"I'm new to Python. {QUESTION} Can someone please help? Thanks so much for your time!",
        f"Quick question. {QUESTION} I've tried everything. This is driving me crazy!",
        f"{QUESTION}\nHere is my code:\n```python\ndW = 1 / m * np.dot(dZ, A_prev.T)\n```",
        f"{QUESTION} I've attached the screenshot.",
        f"{QUESTION}\n\nmy full code below:\n\ndef linear_backward(dZ, cache):\n    return 0",
    ],
)
def test_the_searched_prose_is_the_question_without_its_chatter(wrapped: str) -> None:
    assert parse(wrapped).prose == parse(QUESTION).prose == QUESTION
    assert parse(wrapped).dense_text() == parse(QUESTION).dense_text()


@pytest.mark.parametrize(
    "sentence",
    [
        "I'm stuck on the backward propagation of the LSTM.",
        "I have checked the formula for the cost and it seems right.",
        "I've tried transposing W but the shapes still don't match.",
        "Help with conv_forward: the output is one pixel too small.",
        "I searched the forum but nothing explains why the accuracy stays at 50 percent.",
        "Best accuracy I get on the dev set is low.",
        "My output is different from the expected output.",
        "My code works locally but the grader says it fails.",
    ],
)
def test_a_sentence_that_says_something_about_the_problem_stays(sentence: str) -> None:
    assert strip_line(sentence) == sentence


def test_phrases_and_clauses_inside_a_sentence_go_and_the_rest_stays() -> None:
    assert strip_line("Sorry if this is a dumb question, but why is my cost negative?") == (
        "but why is my cost negative?"
    )
    assert strip_line("Any help is appreciated, I have been stuck on this for two days now.") == ""
    assert strip_line("Thanks, but dW1 is still wrong.") == "but dW1 is still wrong."
    assert strip_line("I have been stuck on the dropout backward for hours") == (
        "I have been stuck on the dropout backward"
    )
    assert strip_line("This is driving me crazy, the cost is wrong.") == "the cost is wrong."
    assert strip_line("conv_forward_test passes, thanks in advance") == "conv_forward_test passes"


def test_chatter_alone_leaves_no_prose_and_the_question_is_searched_as_written() -> None:
    only = parse("Hi all,\nhelp please, thanks")
    assert only.prose == only.dense_text() == ""  # build_query then embeds the question itself
    pasted = parse("Hello everyone!\nValueError: shapes (3,2) and (3,1) not aligned\nThanks, Tom")
    assert pasted.prose == "" and pasted.exception_type == "ValueError"


def test_a_sign_off_or_plea_that_ends_an_unpunctuated_line_goes() -> None:
    tails = (" Regards, Tom", ", thanks!", " I have spent hours on this.", " What am I doing wrong")
    for tail in tails:
        assert strip_line(f"my cost is negative{tail}") == "my cost is negative"


def _course() -> LinkStats:
    """A course whose threads tie "gradient" and "weights" to dW1 and "padding" to zero_pad."""
    texts = [f"the gradient of the weights dW1 is off, thread {i}" for i in range(4)]
    texts += [f"zero_pad adds padding on both sides, thread {i}" for i in range(4)]
    texts += [f"restart the kernel and run all cells, thread {i}" for i in range(4)]
    return learn(texts)


def test_a_sentence_the_course_ties_to_no_code_is_left_out_of_a_longer_question() -> None:
    course = _course()
    assert course.telling("gradient") and course.telling("padding")
    assert not course.telling("berlin") and not course.telling("thread")  # unseen; everywhere
    prose = "Long time lurker, first time asking. The gradient of my weights is off. Cheers!"
    assert keep_telling(prose, course.telling) == "The gradient of my weights is off."
    # Code or a number keeps a sentence; a one-sentence question is kept whatever it says.
    assert keep_telling("Greetings from 2024. It fails.", course.telling).startswith("Greetings")
    assert keep_telling("Cheers from Berlin!", course.telling) == "Cheers from Berlin!"
    # Before the course has content, every word tells.
    assert keep_telling(prose, learn([]).telling) == prose


def test_prose_that_tells_nothing_goes_whole_when_the_learner_pasted_something_else() -> None:
    """Above a pasted line of code or a traceback, "Long time lurker, first time asking." was
    all the dense side embedded: with something else to search by, it goes, even alone."""
    course = _course()
    assert keep_telling("Long time lurker, first time asking.", course.telling, pasted=True) == ""
    aside = "Long time lurker, first time asking. Cheers from Berlin!"
    assert keep_telling(aside, course.telling, pasted=True) == ""
    said = "Long time lurker. The gradient of my weights is off."
    assert keep_telling(said, course.telling, pasted=True) == "The gradient of my weights is off."
    # With nothing pasted, the learner's words are all there is to search by: kept.
    assert keep_telling(aside, course.telling) == aside
