"""Search, the search page and similar-while-typing show a private thread to its author and the
course's staff, and to nobody else (issue #17: "each document carries who may see it, filtered
inside the search")."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import login_browser
from tests.forum.conftest import World

API = "/api/v1"
WORD = "lstm_pangolin_backward"


def test_private_thread_is_found_by_its_author_and_staff_only(
    client: TestClient, world: World, indexed: Any
) -> None:
    h = world.headers
    r = client.post(
        f"{API}/courses/dl/threads", headers=h["alice"],
        json={"title": f"{WORD} gives the wrong shape, full code", "body": f"My {WORD} code",
              "private": True},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    private_id = r.json()["thread"]["id"]
    indexed.sync()

    def api_ids(who: str | None) -> set[int]:
        headers = h[who] if who else {}
        found = client.get(f"{API}/search", params={"q": WORD, "type": "thread"}, headers=headers)
        assert found.status_code == 200, found.text
        return {hit["id"] for hit in found.json()["data"]}

    def similar_ids(who: str | None) -> set[int]:
        headers = h[who] if who else {}
        found = client.get(
            f"{API}/similar", params={"title": f"{WORD} wrong shape"}, headers=headers
        )
        return {hit["id"] for hit in found.json()["data"] if hit["type"] == "thread"}

    for who in ("alice", "teacher", "mod"):
        assert private_id in api_ids(who), who
    for who in ("bob", "stranger", None):
        assert private_id not in api_ids(who), who
        assert private_id not in similar_ids(who), who
    assert private_id in similar_ids("alice")
    # The search page, signed in by cookie as the author, and as a classmate.
    login_browser(client, "alice")
    assert f"/threads/{private_id}" in client.get("/search", params={"q": WORD}).text
    client.cookies.clear()
    login_browser(client, "bob")
    assert f"/threads/{private_id}" not in client.get("/search", params={"q": WORD}).text
