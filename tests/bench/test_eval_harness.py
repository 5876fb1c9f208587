"""The eval harness's own rules: the split is fixed by the id, CV folds never split a thread's
paraphrases, filler is deterministic and answers no question, and the data checks catch a
described question that quotes an error."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

EVAL = Path(__file__).resolve().parent.parent.parent / "bench" / "eval"
sys.path.insert(0, str(EVAL))

from cv import by_course, folds  # noqa: E402
from dataset import Question, load_corpus, load_questions, problems, split_of  # noqa: E402
from filler import generate  # noqa: E402


def _q(qid: str, expect: list[str], **extra: object) -> Question:
    raw = {"id": qid, "question": "my rnn_forward output differs", "expect": expect}
    raw.update({"style": "described", "answer": "own_bug", "hard_negative": False, **extra})
    return Question(raw, "dl-x.jsonl")


def test_split_follows_the_sha1_rule_whatever_the_field_says() -> None:
    # sha1("nn-q002") starts with a digit 0-7 -> test; a line claiming dev is flagged.
    assert split_of("nn-q002") == "test"
    q = _q("nn-q002", ["t1"], split="dev")
    assert q.split == "test"
    found = problems([q], [{"external_id": "t1", "type": "thread"}])
    assert any("sha1 rule" in p for p in found)


def test_cv_folds_keep_paraphrases_of_one_thread_together_and_skip_test() -> None:
    dev_ids = [f"x-q{i:03d}" for i in range(200) if split_of(f"x-q{i:03d}") == "dev"]
    questions = [_q(qid, [f"t{i // 3}"]) for i, qid in enumerate(dev_ids)]  # 3 per thread
    questions.append(_q("nn-q002", ["t0"]))  # a test question: never in any fold
    seen: list[str] = []
    for train, held in folds(questions, k=5):
        held_threads = {e for q in held for e in q.expect}
        assert not held_threads & {e for q in train for e in q.expect}
        seen += [q.id for q in held]
    assert sorted(seen) == sorted(dev_ids)


def test_course_folds_hold_out_each_course_whole_and_skip_test() -> None:
    dev_ids = [f"x-q{i:03d}" for i in range(60) if split_of(f"x-q{i:03d}") == "dev"]
    questions = [
        Question(_q(qid, [f"t{i}"]).raw, f"course-{i % 3}.jsonl") for i, qid in enumerate(dev_ids)
    ]
    questions.append(Question(_q("nn-q002", ["t0"]).raw, "course-0.jsonl"))  # test: never used
    pairs = list(by_course(questions))
    assert len(pairs) == 3
    seen: list[str] = []
    for train, held in pairs:
        assert len({q.file for q in held}) == 1
        assert {q.file for q in held}.isdisjoint({q.file for q in train})
        assert len(train) + len(held) == len(dev_ids)
        seen += [q.id for q in held]
    assert sorted(seen) == sorted(dev_ids)


def test_filler_is_deterministic_and_never_named_by_a_question() -> None:
    corpus = load_corpus()
    a = generate(corpus, 50, seed=1)
    assert a == generate(corpus, 50, seed=1) and a != generate(corpus, 50, seed=2)
    expected = {e for q in load_questions() for e in q.expect}
    assert not expected & {r["external_id"] for r in a}
    functions = {r["location"] for r in corpus if r.get("location")}
    assert any(f in r["title"] + r["body"] for r in a for f in functions)


def test_described_question_quoting_an_error_is_flagged() -> None:
    q = _q("x-q900", ["t1"], question="AssertionError: Wrong values for a_next")
    q.raw["question"] = "AssertionError: Wrong values for a_next"
    found = problems([q], [{"external_id": "t1", "type": "thread"}])
    assert any("described but quotes" in p for p in found)


def _changed(
    transform: Callable[[dict[str, Any]], dict[str, Any]],
) -> Iterator[tuple[Question, dict[str, Any], str]]:
    """Each question ``transform`` changes: the question, its new record, the field changed."""
    for q in load_questions():
        after = transform(q.raw)
        if after is not q.raw:
            field = "traceback" if after.get("traceback") != q.raw.get("traceback") else "question"
            yield q, after, field


def test_library_frames_go_above_the_final_error_and_leave_what_the_learner_pasted() -> None:
    """``run.py --library-frames``: every pasted traceback gets numpy/TensorFlow frames just
    above its final exception line; the learner's frames, error and message stay as they were."""
    from wrapping import library_frames

    from assistant.intake import strip_ansi
    from assistant.parsing import parse

    dressed = 0
    for q, after, field in _changed(library_frames):
        dressed += 1
        assert ("site-packages" in after[field]) or ("dist-packages" in after[field]), q.id
        before, now = (
            parse(strip_ansi(r["question"]), traceback=strip_ansi(r.get("traceback") or ""))
            for r in (q.raw, after)
        )
        assert (now.exception_type, now.exception_message) == (
            before.exception_type,
            before.exception_message,
        ), q.id
        assert now.functions == before.functions, q.id
    assert dressed >= 60  # the eval's pasted tracebacks


def test_grader_reports_keep_the_exception_and_the_graded_function_and_drop_the_frames() -> None:
    """``run.py --grader``: each pasted traceback becomes the autograder's one-line report of
    it; the exception, its message and the learner's function survive, the frames do not."""
    from wrapping import grader

    from assistant.intake import strip_ansi
    from assistant.parsing import parse

    reported = 0
    for q, after, field in _changed(grader):
        reported += 1
        assert "occurred during function check" in after[field], q.id
        assert "Traceback (most recent call last)" not in after[field], q.id
        before = parse(
            strip_ansi(q.raw["question"]), traceback=strip_ansi(q.raw.get("traceback") or "")
        )
        now = parse(after["question"], traceback=after.get("traceback"))
        assert now.exception_type == before.exception_type, q.id
        assert len(now.functions) == 1, q.id
        assert now.prose == before.prose, q.id
    assert reported >= 80  # the eval's pasted tracebacks that name a function


def test_test_utils_reports_lose_the_tests_message_and_keep_the_function_and_the_failure() -> None:
    """``run.py --test-utils``: each failing assertion a cell's test call raised is printed as
    ``test_utils.multiple_test`` prints it: the test's own message is gone, a variable named or
    by position, the tally, and an assertion that names only the function. The parse still
    reads a failing test of that function and the learner's own words."""
    from wrapping import test_utils

    from assistant.claims import Outcome
    from assistant.intake import strip_ansi
    from assistant.parsing import parse

    rewritten = by_position = 0
    for q, after, field in _changed(test_utils):
        rewritten += 1
        before = parse(
            strip_ansi(q.raw["question"]), traceback=strip_ansi(q.raw.get("traceback") or "")
        )
        now = parse(after["question"], traceback=after.get("traceback"))
        assert before.exception_type == now.exception_type == "AssertionError", q.id
        assert before.exception_message not in after[field], q.id
        message = now.exception_message or ""
        assert message.startswith("Not all tests were passed for "), q.id
        function = message.removeprefix("Not all tests were passed for ").split(".")[0]
        assert function in now.functions, q.id  # the cell handed it to the test
        assert now.test_outcome == Outcome.fails, q.id
        assert now.prose == before.prose, q.id
        by_position += "variable in position" in after[field]
    assert rewritten >= 60  # the eval's pasted failing assertions
    assert 0 < by_position < rewritten  # some variables named, some by position


def test_thread_chatter_wraps_only_threads_question_posts_and_rebuilds_the_index() -> None:
    """``run.py --thread-chatter``: every thread's question post (course and filler) gets the
    chatter real threads open and close with; titles, replies and errata are as written, the
    same every run; and the build it needs is a different cached build."""
    from run import cache_key
    from wrapping import load, thread

    phrases = load(EVAL / "data" / "chatter" / "heldout.json")
    corpus = load_corpus()
    records = corpus + generate(corpus, 200, 3)
    wrapped = [thread(r, phrases) for r in records]
    assert wrapped == [thread(r, phrases) for r in records]  # deterministic
    changed = 0
    for before, after in zip(records, wrapped, strict=True):
        if before.get("type") != "thread":
            assert after is before
            continue
        assert (after["title"], after.get("replies")) == (before["title"], before.get("replies"))
        assert set(str(before["body"]).split()) <= set(str(after["body"]).split())
        changed += after["body"] != before["body"]
    assert changed > 0.5 * sum(r.get("type") == "thread" for r in records)
    heldout = EVAL / "data" / "chatter" / "heldout.json"
    assert cache_key(10, 1, "m") != cache_key(10, 1, "m", thread_chatter=heldout)


def test_ipython7_rewrites_every_ipython8_frame_and_the_parse_reads_the_same() -> None:
    """``run.py --ipython7``: the same tracebacks in IPython 7's frame format parse to the same
    exception, functions, tests and prose."""
    from wrapping import ipython7

    from assistant.intake import strip_ansi
    from assistant.parsing import parse

    rewritten = 0
    for q, after, field in _changed(ipython7):
        rewritten += 1
        assert not re.search(r"(?m)^\s*(?:Cell In\[|File ~)", after[field]), q.id
        before = parse(
            strip_ansi(q.raw["question"]), traceback=strip_ansi(q.raw.get("traceback") or "")
        )
        now = parse(after["question"], traceback=after.get("traceback"))
        assert (now.exception_type, now.exception_message) == (
            before.exception_type,
            before.exception_message,
        ), q.id
        assert sorted(now.functions) == sorted(before.functions), q.id
        assert now.tests == before.tests and now.prose == before.prose, q.id
    assert rewritten >= 100


def test_a_pasted_function_skeleton_leaves_the_parse_of_the_learners_words_as_it_was() -> None:
    """``run.py --code``: the function a question names is pasted below it, fenced or not; its
    docstring and markers are not read as the learner's words or values."""
    from wrapping import code

    from assistant.intake import strip_ansi
    from assistant.parsing import parse

    fenced = unfenced = 0
    for q, after, _ in _changed(code):
        fenced, unfenced = (
            fenced + ("```python" in after["question"]),
            unfenced + ("```python" not in after["question"]),
        )
        trace = strip_ansi(q.raw.get("traceback") or "")
        before = parse(strip_ansi(q.raw["question"]), traceback=trace)
        now = parse(strip_ansi(after["question"]), traceback=trace)
        assert "Arguments" not in now.prose and "Returns" not in now.prose, q.id
        assert re.sub(r"\s*here is my code:?$", "", now.prose) == before.prose, q.id
        assert [v.numbers for v in now.values] == [v.numbers for v in before.values], q.id
        assert (now.exception_type, now.test_outcome) == (
            before.exception_type,
            before.test_outcome,
        ), q.id
    assert fenced >= 100 and unfenced >= 100


def test_an_undeclared_erratum_question_is_counted_at_the_step_that_lost_it() -> None:
    from product import Product
    from run import undeclared_because

    ranking: list[dict[str, object]] = []

    def unused(*_: object) -> object:
        raise AssertionError("not called")

    product = Product(
        model="m", build=unused, load=unused, ask=unused, encode=unused,
        candidates=lambda raw: ranking, declare_within=2,
    )  # fmt: skip
    thread = {"ext": "t1"}
    ranking[:] = [thread, {"ext": "e9", "status": "verified", "eligible": True}, {"ext": "e1"}]
    assert undeclared_because(product, {}, ["e1"]) == "ranked_out"  # third: beyond `within`
    ranking[:] = [thread, {"ext": "e1", "status": "verified", "eligible": False}]
    assert undeclared_because(product, {}, ["e1"]) == "ineligible"
    ranking[:] = [{"ext": "e1", "status": "verified", "eligible": True}, thread]
    assert undeclared_because(product, {}, ["e1"]) == "below_threshold"
