"""Field-aware lexical evidence (issue #13): BM25 over one question's candidates, and the
declare model meeting the learner's wording of a symptom whatever its inflection."""

from __future__ import annotations

import pytest

from assistant import declare
from assistant.fields import Field
from assistant.parsing import parse
from assistant.ranking import QueryEvidence, field_features
from assistant.retrieval import Candidate, Scope, fill_erratum_text
from assistant.terms import reply_key
from errata.models import Erratum, ErratumStatus

pytestmark = pytest.mark.nodb


def _thread(title: str, question: str, *replies: str) -> Candidate:
    c = Candidate(kind="thread", item_id=len(title))
    c.title = title
    c.head = f"{title}\n{question}"
    c.text = "\n".join((title, question, *replies))
    return c


def test_a_word_every_candidate_shares_weighs_little_and_the_symptom_decides() -> None:
    field = Field(
        [
            "rnn_forward wrong values, restart the kernel",
            "rnn_forward wrong values because a_next uses the old weights",
            "rnn_forward wrong values, same here",
        ]
    )
    scores = field.scores({"rnn_forward", "weights"})
    assert scores[1] > 0.3 > 0.1 > max(scores[0], scores[2])


def test_the_head_field_tells_the_thread_about_the_problem_from_a_reply_that_guesses() -> None:
    about = _thread("conv_forward output one pixel smaller", "My output height is one too small.")
    guess = _thread("conv_forward shapes", "It fails.", "Maybe the output height is too small?")
    q = QueryEvidence.of(
        parse("in conv_forward the output height is one too small"), Scope(), version=None
    )
    about_f, guess_f = field_features([about, guess], q)
    assert about_f["bm25_head"] > 2 * guess_f["bm25_head"]
    assert about_f["bm25_text"] > 0 and guess_f["bm25_text"] > 0


def test_an_unrelated_question_scores_low_on_every_candidate() -> None:
    field = Field(["rnn_forward wrong values", "lstm_backward shapes do not match"])
    assert max(field.scores({"bake", "chocolate", "cake"})) == 0.0
    assert max(field.scores({"bake", "chocolate", "cake", "rnn_forward"})) < 0.3


def test_the_symptom_meets_the_erratum_in_another_inflection() -> None:
    c = Candidate(kind="erratum", item_id=1)
    c.erratum = Erratum(
        course_id=1, reporter_id=1, status=ErratumStatus.verified, location="iou",
        title="iou test case 4 (boxes touching at a vertex) expects 0",
        description="Touching boxes have zero intersection.",
    )  # fmt: skip
    fill_erratum_text(c)
    q = QueryEvidence.of(
        parse("iou should be zero when boxes only touch at a corner"), Scope(), version=None
    )
    # "touch" meets "touching", "boxes" meets "boxes": three of the learner's seven words.
    assert declare.symptom(c, q) == pytest.approx(3 / 7)
    assert declare.stem("boxes") == "box" and declare.stem("rnn_forward") == "rnn_forward"


def test_a_reply_found_word_for_word_under_many_threads_is_no_answer() -> None:
    boiler = "Did you restart the kernel and run all the cells from the top?"
    real = _thread("cost twice too big", "My cost is double.", "Divide by 2 * m, not m.")
    real.replies = [("Divide by 2 * m, not m.", True)]
    fillers = []
    for i in range(3):
        t = _thread(f"compute_cost fails {i}", "Any idea?", boiler)
        t.replies = [(boiler, True)]
        fillers.append(t)
    q = QueryEvidence.of(parse("my cost comes out exactly double"), Scope(), version=None)
    features = field_features([real, *fillers], q)
    assert features[0]["specific_answer"] == 1.0 and features[0]["boilerplate_replies"] == 0.0
    for f in features[1:]:
        assert f["specific_answer"] == 0.0 and f["boilerplate_replies"] == 1.0
    # Two threads sharing a staff answer (a reporter and its near-duplicate) keep it.
    twin = _thread("cost double again", "Same as above?", "Divide by 2 * m, not m.")
    twin.replies = [("Divide by 2 * m, not m.", True)]
    assert field_features([real, twin], q)[1]["specific_answer"] == 1.0


def test_an_accepted_reply_the_course_repeats_everywhere_answers_nothing() -> None:
    # Among one question's candidates the filler's accepted "check the FAQ" appears once, but
    # the course's statistics (assistant.links) saw it under many threads.
    boiler = "Check the pinned FAQ at the top of the forum."
    real = _thread("conv_single_step returns an array", "Must cast to float 64.", "float(b)")
    real.replies = [("Return Z = np.sum(s) + float(b).", True)]
    filler = _thread("You must cast the output to numpy float 64", "Any idea?", boiler)
    filler.replies = [(boiler, True)]
    parsed = parse("AssertionError: You must cast the output to numpy float 64")
    alone = QueryEvidence.of(parsed, Scope(), version=None)
    assert field_features([real, filler], alone)[1]["specific_answer"] == 1.0
    common = frozenset({reply_key(boiler)})
    q = QueryEvidence.of(parsed, Scope(), version=None, boilerplate=common)
    real_f, filler_f = field_features([real, filler], q)
    assert filler_f["specific_answer"] == 0.0 and filler_f["boilerplate_replies"] == 1.0
    assert real_f["specific_answer"] == 1.0 and real_f["boilerplate_replies"] == 0.0


def test_an_edited_candidate_is_scored_on_its_new_words() -> None:
    # Candidate texts' tokens are cached across asks (assistant.terms): the cache must follow
    # the text, not the thread, so an edited post's new words count at once.
    q = QueryEvidence.of(parse("my gradient gives nan for dc_prev"), Scope(), version=None)
    other = _thread("lstm_backward slow", "It takes a minute.")
    before = _thread("lstm_backward question", "Something is off.")
    assert field_features([before, other], q)[0]["bm25_prose"] == 0.0
    after = _thread("lstm_backward question", "Something is off: dc_prev is nan.")
    assert after.item_id == before.item_id
    assert field_features([after, other], q)[0]["bm25_prose"] > 0.1


def test_the_learners_wrong_value_outweighs_the_expected_value_every_thread_quotes() -> None:
    expected_only = _thread(
        "compute_cost Case 3 fails: Cost must be 0.4166666",
        "AssertionError: Case 3: Cost must be 0.4166666 but got 0.8333333333333334.",
    )
    same_value = _thread(
        "Case 3: Cost must be 0.4166666 but got something else", "My value is 2.25."
    )
    q = QueryEvidence.of(
        parse("AssertionError: Case 3: Cost must be 0.41666667 but got 2.25"),
        Scope(),
        version=None,
    )
    assert q.numbers == {"0.417", "2.25"}  # printed to another precision, the value is the same
    expected_f, same_f = field_features([expected_only, same_value], q)
    # Both quote the expected value; only one got the learner's 2.25.
    assert same_f["value_overlap"] > 0.5 > expected_f["value_overlap"]


def test_words_versions_and_small_integers_are_no_values() -> None:
    q = QueryEvidence.of(
        parse("Case 3 of test 2 fails in notebook version 1.2.3 with shape (64, 3)"),
        Scope(),
        version=None,
    )
    assert q.numbers == frozenset()
    f = field_features([_thread("Case 3 fails", "shape (64, 3)")], q)[0]
    assert f["value_overlap"] == 0.0


def test_the_assignment_the_learner_names_in_words_counts_for_its_candidates() -> None:
    deep = _thread("cost is not the one printed", "compute_cost differs")
    deep.place = "Building your Deep Neural Network: Step by Step\ndeep step"
    intro = _thread("cost is not the one printed", "compute_cost differs")
    intro.place = "Practice Lab: Linear Regression\nlinreg"
    q = QueryEvidence.of(
        parse("step by step deep net: my cost is not the one printed"), Scope(), version=None
    )
    deep_f, intro_f = field_features([deep, intro], q)
    assert deep_f["assignment_named"] > 0.3 and intro_f["assignment_named"] == 0.0
    unnamed = QueryEvidence.of(parse("my cost is not the one printed"), Scope(), version=None)
    assert {f["assignment_named"] for f in field_features([deep, intro], unnamed)} == {0.0}
