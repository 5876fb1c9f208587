"""POST /api/v1/ask with the real model and index: verdicts, citations, ordering, bad input."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant import ranking
from tests.assistant.conftest import RNN_CORRECTED, World

pytestmark = pytest.mark.model

LSTM_TRACEBACK = """---------------------------------------------------------------------------
AssertionError                            Traceback (most recent call last)
Cell In[31], line 1
----> 1 lstm_backward_test(lstm_backward)
File ~/work/W1A1/public_tests.py:212, in lstm_backward_test(target)
    210 assert gradients["dWf"].shape == (n_a, n_a + n_x)
--> 212 assert np.allclose(gradients["dWf"][3][1], expected_dWf), "Wrong values for dWf"
AssertionError: Wrong values for dWf
"""


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/ask", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _ext(data: dict[str, Any]) -> list[str | None]:
    return [s["external_id"] for s in data["sources"]]


def test_ask_pasted_traceback_finds_its_erratum(client: TestClient, world: World) -> None:
    data = _ask(client, question=LSTM_TRACEBACK, course="dl-seq", notebook_version="4")
    assert data["verdict"] == "known_erratum"
    assert data["sources"][0]["external_id"] == "e-lstm-backward-2"
    assert data["sources"][0]["url"] == f"/errata/{world.errata['e-lstm-backward-2']}"
    assert "[1]" in data["answer"]


def test_ask_pasted_grader_report_finds_its_erratum(client: TestClient, world: World) -> None:
    # The submission page's report of the failure: no frame, no test name, no source line.
    report = (
        "Code Cell UNQ_C4: Unexpected error (AssertionError('Wrong values for dWf')) occurred "
        "during function check. We expected function `lstm_backward` to return Test 2 failed. "
        "Please check that this function is defined properly."
    )
    data = _ask(client, question=report, course="dl-seq", notebook_version="4")
    assert data["verdict"] == "known_erratum"
    assert data["sources"][0]["external_id"] == "e-lstm-backward-2"
    # Beside the learner's line of code, the report still points at lstm_backward's erratum
    # (read as plain words, the thread about shapes in rnn_forward came first).
    data = _ask(
        client, question="dWf += np.dot(dft, concat.T)", traceback=report, course="dl-seq",
        notebook_version="4",
    )  # fmt: skip
    assert _ext(data)[0] == "e-lstm-backward-2"


def test_ask_output_matching_correction_says_code_is_right(
    client: TestClient, world: World
) -> None:
    mine = "a_next[4] = array([0.595845, 0.181418, 0.613119, 0.998082, 0.850162,\n"
    mine += "       0.99981, -0.188872, 0.998156, 0.653115, 0.82872])"
    data = _ask(client, question="my output differs from the expected output", output=mine)
    assert data["verdict"] == "output_matches_correction"
    assert data["sources"][0]["external_id"] == "e-rnn-cell"
    assert "your code is most likely right" in data["answer"]
    assert "notebook's expected output is wrong" in data["answer"]


def test_ask_output_matching_published_output(client: TestClient, world: World) -> None:
    published = RNN_CORRECTED.replace("0.59584544", "-0.66408471", 1)
    data = _ask(client, question="rnn_cell_forward output", output=published)
    assert data["verdict"] == "output_matches_published"
    assert data["sources"][0]["external_id"] == "e-rnn-cell"


def test_ask_matching_rejected_report_shows_instructor_explanation(
    client: TestClient, world: World
) -> None:
    data = _ask(
        client, question="yt_pred in rnn_forward differs from the notebook",
        output="yt_pred[1] = [0.7, 0.2, 0.1]",
    )  # fmt: skip
    assert data["verdict"] == "rejected_report"
    assert data["sources"][0]["external_id"] == "e-softmax-rejected"
    assert data["sources"][0]["status"] == "rejected"
    assert "softmax must be taken over axis 0" in data["answer"]


def test_ask_rejected_report_by_words_alone(client: TestClient, world: World) -> None:
    data = _ask(client, question="softmax in rnn_forward gives different yt_pred values")
    assert data["verdict"] == "rejected_report"
    assert "not an erratum" in data["answer"].lower()


def test_ask_fixed_in_your_version_ranks_below_errata_that_apply(
    client: TestClient, world: World
) -> None:
    # Worded as the fixed erratum's title: only the version rule puts it second.
    question = "lstm_backward_test fails with Wrong values for dWf although the code is right"
    newer = _ask(client, question=question, course="dl-seq", notebook_version="4")
    ids = _ext(newer)
    assert ids.index("e-lstm-backward-2") < ids.index("e-lstm-backward")
    fixed = newer["sources"][ids.index("e-lstm-backward")]
    assert "fixed in your version" in fixed["labels"]
    older = _ask(client, question=question, course="dl-seq", notebook_version="3")
    old_fixed = older["sources"][_ext(older).index("e-lstm-backward")]
    assert "fixed in your version" not in old_fixed["labels"]


def test_ask_only_fixed_erratum_gives_fixed_in_your_version(
    client: TestClient, world: World
) -> None:
    data = _ask(
        client, question="lstm_backward_test fails with Wrong values for dWf although the code "
        "is right, transposed forget gate", course="dl-seq", notebook_version="3b",
    )  # fmt: skip
    top = data["sources"][0]
    if top["external_id"] == "e-lstm-backward":
        assert data["verdict"] == "fixed_in_your_version"
        assert "fixed in notebook version 3a" in data["answer"]
    else:
        assert (
            "fixed in your version"
            in data["sources"][_ext(data).index("e-lstm-backward")]["labels"]
        )


def test_ask_unverified_report_is_labelled_unconfirmed(client: TestClient, world: World) -> None:
    data = _ask(client, question="gru_cell h_next expected output uses the wrong update gate")
    src = data["sources"][_ext(data).index("e-gru-reported")]
    assert "unconfirmed" in src["labels"]
    assert "Unconfirmed" in data["answer"]


def test_ask_forum_answer_is_answered_before(client: TestClient, world: World) -> None:
    data = _ask(client, question="ValueError: shapes (5,3) and (10,1) not aligned")
    assert data["verdict"] == "answered_before"
    assert {s["type"] for s in data["sources"]} <= {"thread", "post"}
    assert "time slice" in data["answer"]


@pytest.mark.parametrize(("close_above", "hedged"), [(None, False), (1e9, True)])
def test_an_answer_that_is_only_the_nearest_match_says_so(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch,
    close_above: float | None, hedged: bool,
) -> None:  # fmt: skip
    """Above the no-match threshold but below ``close_above`` (where a question without chatter
    would have been refused), the lead is shown as the nearest thread, not as the answer."""
    fitted = ranking.weights()
    monkeypatch.setattr(ranking, "weights", lambda: replace(fitted, close_above=close_above))
    data = _ask(client, question="ValueError: shapes (5,3) and (10,1) not aligned")
    assert data["verdict"] == "answered_before" and data["sources"]
    assert data["answer"].startswith("Nothing matched your question closely.") is hedged
    assert "time slice" in data["answer"]  # the nearest match is still shown


def test_ask_unrelated_question_is_no_match_with_new_thread_link(
    client: TestClient, world: World
) -> None:
    data = _ask(
        client, question="How do I bake a chocolate cake with three layers?", course="dl-seq",
        assignment="rnn-step-by-step",
    )  # fmt: skip
    assert data["verdict"] == "no_match"
    assert data["sources"] == []
    url = data["new_thread_url"]
    assert url.startswith("/threads/new?")
    assert "course=dl-seq" in url and "assignment=rnn-step-by-step" in url
    assert "title=How+do+I+bake" in url and "body=" in url


def test_ask_every_statement_cites_an_existing_source(client: TestClient, world: World) -> None:
    data = _ask(client, question=LSTM_TRACEBACK, output="dWf[3][1] = -0.0698", notebook_version="4")
    prose = re.sub(r"```.*?```", "", data["answer"], flags=re.DOTALL)
    for paragraph in [p for p in prose.split("\n\n") if p.strip()]:
        markers = [int(m) for m in re.findall(r"\[(\d+)\]", paragraph)]
        assert markers, f"uncited statement: {paragraph!r}"
        assert all(1 <= m <= len(data["sources"]) for m in markers)


def test_ask_citations_resolve_to_real_pages(client: TestClient, world: World) -> None:
    urls: set[str] = set()
    for question in (LSTM_TRACEBACK, "ValueError: shapes (5,3) and (10,1) not aligned"):
        data = _ask(client, question=question)
        urls |= {s["url"] for s in data["sources"]}
    assert any(u.startswith("/errata/") for u in urls)
    assert any(u.startswith("/threads/") for u in urls)
    for url in urls:
        r = client.get(url.split("#")[0], headers={"Accept": "text/html"})
        assert r.status_code == 200, url
        if "#post-" in url:
            assert f'id="post-{url.rsplit("-", 1)[1]}"' in r.text


def test_ask_answer_html_is_sanitized(client: TestClient, world: World) -> None:
    data = _ask(client, question="<script>alert(1)</script> softmax in rnn_forward yt_pred")
    assert "<script" not in data["answer_html"]


# Bad input (ACCEPTANCE R2)


def test_ask_empty_question_is_422(client: TestClient, world: World) -> None:
    for body in ({"question": ""}, {"question": "   \n "}, {}):
        r = client.post("/api/v1/ask", json=body)
        assert r.status_code == 422
        assert r.json()["detail"]


def test_ask_huge_traceback_is_refused_before_searching(
    client: TestClient, world: World, monkeypatch: Any
) -> None:
    from assistant import retrieval

    def no_search(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a refused ask must not reach the search")

    monkeypatch.setattr(retrieval, "search", no_search)
    huge = "Traceback (most recent call last):\n" + '  File "x.py", line 1, in f\n' * 40_000
    r = client.post("/api/v1/ask", json={"question": "help", "traceback": huge})
    assert r.status_code in (413, 422)
    assert "traceback" in r.json()["detail"].lower() or "larger" in r.json()["detail"].lower()


def test_ask_field_over_limit_is_422_with_clear_message(client: TestClient, world: World) -> None:
    r = client.post("/api/v1/ask", json={"question": "x" * 20_001})
    assert r.status_code == 422
    assert "question" in r.json()["detail"]


def test_ask_binary_input_is_422(client: TestClient, world: World) -> None:
    r = client.post("/api/v1/ask", json={"question": "bad \x00\x01\x02 bytes"})
    assert r.status_code == 422
    assert "binary" in r.json()["detail"]
    r = client.post(
        "/api/v1/ask", content=b'{"question": "\xff\xfe\xfa"}',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    # FastAPI refuses a body that is not UTF-8 before the route runs (400, with a message).
    assert r.status_code in (400, 422)
    assert r.json()["detail"]


# Access, rate limits, logging and feedback


def test_ask_anonymous_refused_when_switched_off(
    client: TestClient, world: World, make_user: Any, token_for: Any, monkeypatch: Any
) -> None:
    from core.settings import get_settings

    monkeypatch.setattr(get_settings(), "anonymous_ask", False)
    r = client.post("/api/v1/ask", json={"question": "lstm_backward_test Wrong values for dWf"})
    assert r.status_code == 401
    user = make_user("learner_one")
    r = client.post(
        "/api/v1/ask", json={"question": "lstm_backward_test"}, headers=token_for(user, "widget")
    )
    assert r.status_code == 200


def test_ask_is_rate_limited(client: TestClient, world: World, monkeypatch: Any) -> None:
    from core.settings import get_settings

    monkeypatch.setattr(get_settings(), "rate_ask", "2/60")
    for _ in range(2):
        assert client.post("/api/v1/ask", json={"question": "gru_cell"}).status_code == 200
    r = client.post("/api/v1/ask", json={"question": "gru_cell"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1


def test_ask_is_logged_and_feedback_stored(client: TestClient, world: World, session: Any) -> None:
    from assistant.models import AskFeedback, AskLog

    data = _ask(client, question=LSTM_TRACEBACK)
    log = session.get(AskLog, data["ask_id"])
    assert log is not None and log.verdict == data["verdict"]
    assert "lstm_backward_test" in log.terms
    assert log.source_ids.startswith("erratum:")
    token = data["feedback_token"]
    r = client.post(
        f"/api/v1/ask/{data['ask_id']}/feedback", json={"helpful": False, "feedback_token": token}
    )
    assert r.status_code == 200
    r = client.post(
        f"/api/v1/ask/{data['ask_id']}/feedback", json={"helpful": True, "feedback_token": token}
    )
    assert r.status_code == 200
    rows = session.exec(__import__("sqlmodel").select(AskFeedback)).all()
    assert [(f.ask_id, f.helpful) for f in rows] == [(data["ask_id"], True)]
    assert client.post("/api/v1/ask/999999/feedback", json={"helpful": True}).status_code == 404


def test_moderators_see_no_match_asks_grouped(
    client: TestClient, world: World, make_user: Any, token_for: Any
) -> None:
    for q in (
        "How do I bake a chocolate cake?",
        "how to bake chocolate cake quickly",
        "Where is the certificate for the course?",
    ):
        assert _ask(client, question=q)["verdict"] == "no_match"
    learner = make_user("learner_two")
    assert client.get("/api/v1/moderation/asks", headers=token_for(learner)).status_code == 403
    mod = make_user("mod_one", "moderator")
    r = client.get("/api/v1/moderation/asks", headers=token_for(mod))
    assert r.status_code == 200
    groups = r.json()
    assert sum(g["size"] for g in groups) == 3
    assert groups[0]["size"] == 2 and "cake" in groups[0]["example"].lower()


def test_ask_unstorable_text_and_huge_ids_are_4xx(client: TestClient, world: World) -> None:
    # A lone surrogate cannot be stored as UTF-8; NUL cannot be stored by PostgreSQL.
    r = client.post(
        "/api/v1/ask", content=b'{"question": "lstm \\ud800 help"}',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert r.status_code == 422
    r = client.post("/api/v1/ask", json={"question": "lstm", "notebook_version": "3\x00"})
    assert r.status_code == 422
    assert (
        client.post("/api/v1/ask/99999999999/feedback", json={"helpful": True}).status_code == 422
    )
    r = client.post("/api/v1/chat", json={"question": "x", "conversation_id": 2**40})
    assert r.status_code == 422
    data = _ask(client, question="gru_cell h_next")
    r = client.post(
        f"/api/v1/ask/{data['ask_id']}/feedback", json={"helpful": True, "comment": "\x00"}
    )
    assert r.status_code == 422


def test_instructors_see_no_match_asks_of_their_courses_only(
    client: TestClient, world: World, make_user: Any, token_for: Any, session: Any
) -> None:
    from forum.models import Course
    from users.models import CourseRole

    other = Course(slug="other-course", title="Other")
    session.add(other)
    session.commit()
    _ask(client, question="How do I bake a chocolate cake?", course="dl-seq")
    _ask(client, question="Where do I find the course certificate?", course="other-course")
    teacher = make_user("teacher_one")
    session.add(CourseRole(user_id=teacher.id, course_id=world.course_id, role="instructor"))
    session.commit()
    r = client.get("/api/v1/moderation/asks", headers=token_for(teacher))
    assert r.status_code == 200
    questions = [a["question"] for g in r.json() for a in g["asks"]]
    assert questions == ["How do I bake a chocolate cake?"]


def test_ask_plain_words_paraphrase_finds_verified_erratum(
    client: TestClient, world: World
) -> None:
    # No identifier, no error string: only the meaning connects it to the erratum.
    data = _ask(client, question="the first number of my rnn cell output has the opposite sign")
    assert data["verdict"] == "known_erratum"
    assert data["sources"][0]["external_id"] == "e-rnn-cell"


def test_ask_skips_hits_whose_rows_are_already_gone(
    client: TestClient, world: World, session: Any
) -> None:
    from sqlalchemy import text

    # Rows removed behind the indexer's back (as in the moment before it applies a delete).
    session.exec(text("DELETE FROM post"))  # type: ignore[call-overload]
    session.exec(text("DELETE FROM thread"))  # type: ignore[call-overload]
    session.commit()
    data = _ask(client, question="ValueError: shapes (5,3) and (10,1) not aligned in rnn_forward")
    assert all(s["type"] == "erratum" for s in data["sources"])


def _chatter(question: str) -> str:
    return (
        f"Hi everyone,\nI'm new to Python. {question}\n"
        "Any help would be greatly appreciated, I have been stuck on this for two days now.\n"
        "Thanks in advance! Regards, Maria"
    )


DRESSED = {"forum chatter": _chatter, "a markdown code fence": lambda q: f"```\n{q}\n```"}


@pytest.mark.parametrize("dressing", DRESSED)
@pytest.mark.parametrize(
    ("question", "extra"),
    [
        ("softmax in rnn_forward gives different yt_pred values", {}),
        ("the first number of my rnn cell output has the opposite sign", {}),
        (LSTM_TRACEBACK, {"course": "dl-seq", "notebook_version": "4"}),
    ],
)
def test_a_question_dressed_as_a_forum_post_gets_the_same_answer(
    client: TestClient, world: World, question: str, extra: dict[str, str], dressing: str
) -> None:
    plain = _ask(client, question=question, **extra)
    dressed = _ask(client, question=DRESSED[dressing](question), **extra)
    assert dressed["verdict"] == plain["verdict"] != "no_match"
    assert _ext(dressed)[:3] == _ext(plain)[:3]


def test_a_pasted_traceback_under_an_aside_no_pattern_knows_gets_the_same_answer(
    client: TestClient, world: World
) -> None:
    extra = {"course": "dl-seq", "notebook_version": "4"}
    plain = _ask(client, question=LSTM_TRACEBACK, **extra)
    aside = f"Long time lurker, first time asking.\n{LSTM_TRACEBACK}\nCheers from Berlin"
    dressed = _ask(client, question=aside, **extra)
    assert dressed["verdict"] == plain["verdict"] != "no_match"
    assert _ext(dressed)[:3] == _ext(plain)[:3]
