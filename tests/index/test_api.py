"""The search API and page, "similar" while typing and "related" under a thread."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.index.conftest import Forum

pytestmark = pytest.mark.model


def seed(forum: Forum) -> dict[str, Any]:
    return {
        "erratum": forum.erratum(
            "lstm_forward expected output for a_next is wrong",
            "The printed expected a_next values come from an old seed.",
            status="verified",
        ),
        "thread": forum.thread(
            "LSTM forward output does not match expected values",
            "My lstm_forward a_next is slightly different from the expected output.",
        ),
        "other": forum.thread("Where is the week 4 quiz?", "I cannot find the quiz link."),
    }


def test_api_search_returns_typed_hits(client: TestClient, forum: Forum) -> None:
    items = seed(forum)
    r = client.get("/api/v1/search", params={"q": "lstm_forward a_next"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == len(body["data"]) >= 2
    first = body["data"][0]
    assert (first["type"], first["id"]) == ("erratum", items["erratum"].id)
    assert first["status"] == "verified"
    assert first["url"] == f"/errata/{items['erratum'].id}"
    assert "<mark>" in first["snippet"]


def test_api_search_filters_by_type_and_status(client: TestClient, forum: Forum) -> None:
    seed(forum)
    r = client.get("/api/v1/search", params={"q": "lstm output", "type": "thread"})
    assert {h["type"] for h in r.json()["data"]} == {"thread"}
    r = client.get(
        "/api/v1/search", params={"q": "lstm output", "status": "rejected", "type": "erratum"}
    )
    assert r.json()["data"] == []
    r = client.get("/api/v1/search", params={"q": "lstm", "course": forum.course.id + 1})  # type: ignore[operator]
    assert r.json()["data"] == []


def test_api_search_invalid_filter_is_422(client: TestClient, forum: Forum) -> None:
    r = client.get("/api/v1/search", params={"q": "x", "type": "user"})
    assert r.status_code == 422
    r = client.get("/api/v1/search", params={"q": "x" * 501})
    assert r.status_code == 422


def test_api_similar_while_typing_finds_erratum(client: TestClient, forum: Forum) -> None:
    items = seed(forum)
    r = client.get(
        "/api/v1/similar",
        params={"title": "my LSTM output is off by a bit", "course": forum.course.id},
    )
    assert r.status_code == 200
    found = [(h["type"], h["id"]) for h in r.json()["data"]]
    assert ("erratum", items["erratum"].id) in found
    assert ("thread", items["other"].id) not in found  # unrelated is not suggested


def test_api_related_excludes_the_thread_itself(client: TestClient, forum: Forum) -> None:
    items = seed(forum)
    r = client.get("/api/v1/related", params={"type": "thread", "id": items["thread"].id})
    found = [(h["type"], h["id"]) for h in r.json()["data"]]
    assert ("thread", items["thread"].id) not in found
    assert ("erratum", items["erratum"].id) in found


def test_search_page_shows_badges_and_escaped_snippets(client: TestClient, forum: Forum) -> None:
    items = seed(forum)
    forum.thread("Odd lstm print", "printing <img src=x onerror=alert(1)> near lstm_forward")
    r = client.get("/search", params={"q": "lstm_forward"}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert f'href="/errata/{items["erratum"].id}"' in r.text
    assert "Verified" in r.text and "Erratum" in r.text
    assert "<img src=x" not in r.text
    assert "&lt;img" in r.text
    assert "<mark>lstm_forward</mark>" in r.text


def test_search_page_empty_result_suggests_next_step(client: TestClient, forum: Forum) -> None:
    r = client.get("/search", params={"q": "xyzzyplugh"})
    assert r.status_code == 200
    assert "No results for “xyzzyplugh”" in r.text
    assert 'href="/ask?q=xyzzyplugh"' in r.text


def test_erratum_duplicate_check_uses_hybrid_search(forum: Forum) -> None:
    from errata import service as errata_service

    items = seed(forum)
    rejected = forum.erratum("LSTM a_next values off", "Not an erratum.", status="rejected")
    assert forum.course.id is not None
    found = errata_service.suggest_similar(
        session=forum.session, course_id=forum.course.id, assignment_id=None,
        title="my LSTM output is off by a bit",
    )  # fmt: skip
    ids = [e.id for e, _ in found]
    assert ids[0] == items["erratum"].id
    assert rejected.id not in ids
