"""Chat: follow-ups keep the conversation's context; the /ask page and the no-match page."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assistant.conftest import World
from tests.conftest import login_browser

pytestmark = pytest.mark.model

# Worded as the erratum fixed in 3a: cited (and labelled) whatever the ranking margins.
QUESTION = "lstm_backward_test fails with Wrong values for dWf although the code is right"


def _chat(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/chat", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _labels(data: dict[str, Any], ext: str) -> list[str]:
    for s in data["sources"]:
        if s["external_id"] == ext:
            return s["labels"]  # type: ignore[no-any-return]
    raise AssertionError(f"{ext} not cited")


def test_chat_follow_up_version_statement_updates_context(client: TestClient, world: World) -> None:
    first = _chat(client, question=QUESTION, course="dl-seq", notebook_version="3")
    assert "fixed in your version" not in _labels(first, "e-lstm-backward")
    follow = _chat(client, question="I'm on version 3a", conversation_id=first["conversation_id"])
    assert follow["conversation_id"] == first["conversation_id"]
    assert follow["context"] == {
        "course": "dl-seq", "assignment": None, "notebook_version": "3a",
    }  # fmt: skip
    # Re-asked with the previous question: the erratum fixed in 3a is now marked as such.
    assert "fixed in your version" in _labels(follow, "e-lstm-backward")


def test_chat_still_failing_reasks_with_previous_context(client: TestClient, world: World) -> None:
    first = _chat(client, question=QUESTION, notebook_version="4", course="dl-seq")
    again = _chat(client, question="still failing", conversation_id=first["conversation_id"])
    assert again["context"]["notebook_version"] == "4"
    assert again["sources"][0]["external_id"] == first["sources"][0]["external_id"]
    conv = client.get(f"/api/v1/chat/{first['conversation_id']}").json()
    assert [m["role"] for m in conv["messages"]] == ["user", "assistant"] * 2
    assert conv["messages"][2]["content"] == "still failing"


def test_chat_new_question_replaces_the_previous_one(client: TestClient, world: World) -> None:
    first = _chat(client, question=QUESTION, notebook_version="4")
    other = _chat(
        client, question="ValueError: shapes (5,3) and (10,1) not aligned",
        conversation_id=first["conversation_id"],
    )  # fmt: skip
    assert other["verdict"] == "answered_before"
    assert other["context"]["notebook_version"] == "4"


def test_chat_conversation_of_someone_else_is_404(
    client: TestClient, world: World, app: Any
) -> None:
    first = _chat(client, question=QUESTION)
    with TestClient(app) as stranger:
        r = stranger.post(
            "/api/v1/chat", json={"question": "still failing", "conversation_id": first[
                "conversation_id"]},
        )  # fmt: skip
        assert r.status_code == 404
        assert stranger.get(f"/api/v1/chat/{first['conversation_id']}").status_code == 404


def test_chat_bad_input_is_422(client: TestClient, world: World) -> None:
    assert client.post("/api/v1/chat", json={"question": ""}).status_code == 422
    r = client.post("/api/v1/chat", json={"question": "x", "traceback": "\x00" * 10})
    assert r.status_code == 422


def test_ask_page_renders_with_script_and_no_inline_handlers(
    client: TestClient, world: World
) -> None:
    r = client.get("/ask?course=dl-seq", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert 'id="ask-form"' in r.text and "/static/assistant.js" in r.text
    assert "onclick=" not in r.text and "style=" not in r.text
    assert '<option value="dl-seq" selected>' in r.text
    assert "content-security-policy" in r.headers
    assert client.get("/static/assistant.js").status_code == 200


def test_chat_from_the_page_with_session_cookie_needs_csrf(
    client: TestClient, world: World, make_user: Any
) -> None:
    make_user("page_user", password="correct horse 1")
    token = login_browser(client, "page_user")
    r = client.post("/api/v1/chat", json={"question": QUESTION})
    assert r.status_code == 403
    r = client.post("/api/v1/chat", json={"question": QUESTION}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200


def test_no_match_page_for_moderators_only(
    client: TestClient, world: World, make_user: Any
) -> None:
    client.post("/api/v1/ask", json={"question": "How do I bake a chocolate cake?"})
    make_user("plain_learner")
    login_browser(client, "plain_learner")
    assert client.get("/moderation/asks", headers={"Accept": "text/html"}).status_code == 403
    client.cookies.clear()
    make_user("page_mod", "moderator")
    login_browser(client, "page_mod")
    r = client.get("/moderation/asks", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "chocolate cake" in r.text
