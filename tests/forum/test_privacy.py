"""Issue #17: anonymous posts and private threads, rule by rule (the leak walk is in
test_privacy_walk.py)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.forum.conftest import World

API = "/api/v1"


def _thread(client: TestClient, headers: dict[str, str], course: str = "dl", **body: Any) -> dict:
    r = client.post(f"{API}/courses/{course}/threads", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_alias_is_stable_in_a_thread_and_differs_across_threads(
    client: TestClient, world: World
) -> None:
    h = world.headers
    aliases = []
    for n in range(3):
        t = _thread(client, h["alice"], title=f"Question {n}", body="body", anonymous=True)
        tid = t["thread"]["id"]
        r = client.post(f"{API}/threads/{tid}/replies", headers=h["alice"],
                        json={"body": "more", "anonymous": True})  # fmt: skip
        assert r.status_code == 201
        seen = client.get(f"{API}/threads/{tid}", headers=h["bob"]).json()
        assert (
            seen["thread"]["author"]["display_name"] == seen["question"]["author"]["display_name"]
        )
        assert (
            seen["replies"][0]["author"]["display_name"]
            == seen["question"]["author"]["display_name"]
        )
        aliases.append(seen["question"]["author"]["display_name"])
        # The author sees their own post, marked.
        own = client.get(f"{API}/threads/{tid}", headers=h["alice"]).json()
        assert own["question"]["author"]["username"] == "alice"
        assert own["question"]["author"]["anonymous"] is True
    assert all(a.startswith("Anonymous learner (") for a in aliases)
    assert len(set(aliases)) == 3
    # Lists show the alias too, signed out included.
    listed = client.get(f"{API}/courses/dl/threads").json()["data"]
    assert {t["author"]["display_name"] for t in listed} == set(aliases)
    assert "alice" not in client.get("/courses/dl").text


def test_course_can_forbid_anonymous_posts(client: TestClient, world: World) -> None:
    h = world.headers
    assert client.patch(f"{API}/courses/dl", headers=h["alice"],
                        json={"allow_anonymous": False}).status_code == 403  # fmt: skip
    r = client.patch(f"{API}/courses/dl", headers=h["teacher"], json={"allow_anonymous": False})
    assert r.status_code == 200 and r.json()["allow_anonymous"] is False
    r = client.post(f"{API}/courses/dl/threads", headers=h["alice"],
                    json={"title": "Q", "body": "b", "anonymous": True})  # fmt: skip
    assert r.status_code == 422 and "does not allow anonymous" in r.json()["detail"]


def test_private_thread_is_for_its_author_and_the_course_staff(
    client: TestClient, world: World
) -> None:
    h = world.headers
    t = _thread(client, h["alice"], title="My full solution", body="code", private=True)
    tid = t["thread"]["id"]
    for who in ("alice", "teacher", "mod", "root"):
        assert client.get(f"{API}/threads/{tid}", headers=h[who]).status_code == 200, who
    for who in ("bob", "stranger"):
        assert client.get(f"{API}/threads/{tid}", headers=h[who]).status_code == 404, who
    assert client.get(f"{API}/threads/{tid}").status_code == 404
    # Lists and counts: only those who may see it count it.
    assert client.get(f"{API}/courses/dl", headers=h["bob"]).json()["thread_count"] == 0
    assert client.get(f"{API}/courses/dl", headers=h["teacher"]).json()["thread_count"] == 1
    assert client.get(f"{API}/courses/dl/threads", headers=h["alice"]).json()["count"] == 1


def test_staff_make_an_answered_private_thread_public_anonymised(
    client: TestClient, world: World
) -> None:
    h = world.headers
    t = _thread(client, h["alice"], title="Is my approach allowed?", body="code", private=True)
    tid = t["thread"]["id"]
    assert client.post(f"{API}/threads/{tid}/publish", headers=h["alice"]).status_code == 403
    r = client.post(f"{API}/threads/{tid}/publish", headers=h["teacher"])
    assert r.status_code == 409 and "Answer this thread first" in r.json()["detail"]
    client.post(f"{API}/threads/{tid}/replies", headers=h["teacher"], json={"body": "Yes."})
    r = client.post(f"{API}/threads/{tid}/publish", headers=h["teacher"],
                    json={"anonymous": True})  # fmt: skip
    assert r.status_code == 200 and r.json()["private"] is False
    seen = client.get(f"{API}/threads/{tid}", headers=h["bob"]).json()
    assert seen["question"]["author"]["display_name"].startswith("Anonymous learner")
    assert seen["replies"][0]["author"]["username"] == "teacher"


def test_index_filters_private_documents_inside_the_search(
    session: Session, client: TestClient, world: World, indexed: Any
) -> None:
    from index import search as retriever
    from index.types import Query, Viewer

    h = world.headers
    t = _thread(client, h["alice"], title="lstm_quagga_backward full solution",
                body="lstm_quagga_backward code here", private=True)  # fmt: skip
    tid = t["thread"]["id"]
    _thread(client, h["bob"], title="lstm_quagga_backward question", body="Why wrong?")
    indexed.sync()

    def found(viewer: Viewer | None, **kw: Any) -> set[int]:
        q = Query(text="lstm_quagga_backward", viewer=viewer, doc_types=("thread",), **kw)
        hits = retriever.search(session, q)
        return {hit.doc_id for hit in hits}

    users, course = world.users, world.course.id
    assert tid not in found(None)
    assert tid not in found(Viewer(user_id=users["bob"].id))
    assert tid not in found(Viewer(user_id=users["stranger"].id,
                                   staff_course_ids=frozenset({world.other.id})))  # fmt: skip
    assert tid in found(Viewer(user_id=users["alice"].id))
    assert tid in found(Viewer(user_id=users["teacher"].id, staff_course_ids=frozenset({course})))
    assert tid in found(Viewer(user_id=users["mod"].id, staff_course_ids=None))
    # With a course filter too (allowed labels intersected), and lexical / dense sides alone.
    assert tid in found(Viewer(user_id=users["alice"].id), course_id=course)
    for mode in ("lexical", "dense"):
        q = Query(text="lstm_quagga_backward", doc_types=("thread",))
        assert tid not in {x.doc_id for x in retriever.search(session, q, mode=mode)}
