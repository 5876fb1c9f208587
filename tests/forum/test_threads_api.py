"""Threads, replies, votes, answers and lists through the JSON API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from forum.models import Post, Thread, ThreadFollow
from index.events import IndexEvent
from tests.forum.conftest import World, ask, reply


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_create_thread_then_read_it_with_rendered_body(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"], body="Look:\n\n```\nValueError: shapes (3,4)\n```")
    assert t["thread"]["title"] == "AssertionError in rnn_forward"
    assert t["thread"]["assignment_slug"] == "a1"
    r = client.get(f"/api/v1/threads/{t['thread']['id']}")
    assert r.status_code == 200
    q = r.json()["question"]
    assert q["body"].startswith("Look:")
    assert "<pre><code>ValueError: shapes (3,4)" in q["body_html"]
    assert q["author"]["username"] == "alice"
    assert "password" not in r.text and "email" not in r.text


def test_create_thread_writes_index_event_and_author_follows(
    client: TestClient, world: World, session: Session
) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    events = session.exec(select(IndexEvent).where(IndexEvent.doc_type == "thread")).all()
    assert [(e.doc_id, e.op) for e in events] == [(tid, "upsert")]
    assert t["following"] is True
    p = reply(client, world.headers["bob"], tid)
    events = session.exec(select(IndexEvent).where(IndexEvent.doc_type == "post")).all()
    assert [e.doc_id for e in events] == [p["id"]]
    followers = session.exec(select(ThreadFollow.user_id).where(ThreadFollow.thread_id == tid))
    assert set(followers.all()) == {world.users["alice"].id, world.users["bob"].id}


def test_create_thread_with_empty_title_is_rejected_and_nothing_written(
    client: TestClient, world: World, session: Session
) -> None:
    r = client.post(
        "/api/v1/courses/dl/threads",
        json={"title": "   ", "body": "help"},
        headers=world.headers["alice"],
    )
    assert r.status_code == 422
    assert "title is empty" in r.json()["detail"]
    assert _count(session, Thread) == 0 and _count(session, Post) == 0
    assert _count(session, IndexEvent) == 0


def test_create_thread_with_too_long_title_is_rejected(client: TestClient, world: World) -> None:
    r = client.post(
        "/api/v1/courses/dl/threads",
        json={"title": "x" * 201, "body": "help"},
        headers=world.headers["alice"],
    )
    assert r.status_code == 422
    assert "longer than 200" in r.json()["detail"]


def test_create_thread_with_10mb_body_gets_413_and_nothing_written(
    client: TestClient, world: World, session: Session
) -> None:
    r = client.post(
        "/api/v1/courses/dl/threads",
        json={"title": "Huge", "body": "x" * 10_000_000},
        headers=world.headers["alice"],
    )
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"]
    assert _count(session, Thread) == 0 and _count(session, Post) == 0


def test_create_thread_with_body_over_post_limit_is_rejected(
    client: TestClient, world: World, session: Session
) -> None:
    r = client.post(
        "/api/v1/courses/dl/threads",
        json={"title": "Long", "body": "y" * 60_000},
        headers=world.headers["alice"],
    )
    assert r.status_code == 422
    assert "longer than 50000 characters" in r.json()["detail"]
    assert _count(session, Thread) == 0


def test_create_thread_in_unknown_course_gets_404(
    client: TestClient, world: World, session: Session
) -> None:
    r = client.post(
        "/api/v1/courses/nope/threads",
        json={"title": "Hi", "body": "help"},
        headers=world.headers["alice"],
    )
    assert r.status_code == 404
    assert "No course 'nope'" in r.json()["detail"]
    assert _count(session, Thread) == 0


def test_create_thread_with_assignment_of_another_course_gets_404(
    client: TestClient, world: World, session: Session
) -> None:
    r = client.post(
        "/api/v1/courses/dl/threads",
        json={"title": "Hi", "body": "help", "assignment": "rnn"},
        headers=world.headers["alice"],
    )
    assert r.status_code == 404
    assert "No assignment 'rnn'" in r.json()["detail"]
    assert _count(session, Thread) == 0


def test_create_thread_with_malformed_json_gets_422(
    client: TestClient, world: World, session: Session
) -> None:
    r = client.post(
        "/api/v1/courses/dl/threads",
        content=b'{"title": "Hi", "body": ',
        headers={**world.headers["alice"], "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["detail"].startswith("The request body is not valid JSON (Expecting value")
    assert _count(session, Thread) == 0


def test_create_thread_anonymous_gets_401(client: TestClient, world: World) -> None:
    r = client.post("/api/v1/courses/dl/threads", json={"title": "Hi", "body": "help"})
    assert r.status_code == 401
    assert "Sign in" in r.json()["detail"]


def test_create_thread_ignores_privileged_fields(
    client: TestClient, world: World, session: Session
) -> None:
    """ACCEPTANCE A3: fields a learner may not set are ignored; stored values unchanged."""
    r = client.post(
        "/api/v1/courses/dl/threads",
        json={
            "title": "Mass assignment",
            "body": "body",
            "author_id": world.users["mod"].id,
            "pinned": True,
            "locked": True,
            "score": 99,
            "role": "admin",
            "status": "verified",
            "accepted_post_id": 1,
            "course_id": world.other.id,
        },
        headers=world.headers["alice"],
    )
    assert r.status_code == 201
    session.expire_all()
    thread = session.get(Thread, r.json()["thread"]["id"])
    assert thread is not None
    assert thread.author_id == world.users["alice"].id
    assert (thread.pinned, thread.locked, thread.score) == (False, False, 0)
    assert thread.course_id == world.course.id and thread.accepted_post_id is None
    me = client.get("/api/v1/users/me", headers=world.headers["alice"]).json()
    assert me["role"] == "learner"


def test_update_post_ignores_privileged_fields(
    client: TestClient, world: World, session: Session
) -> None:
    t = ask(client, world.headers["alice"])
    p = reply(client, world.headers["alice"], t["thread"]["id"])
    r = client.patch(
        f"/api/v1/posts/{p['id']}",
        json={"body": "new", "score": 50, "endorsed_by_id": world.users["mod"].id, "author_id": 1},
        headers=world.headers["alice"],
    )
    assert r.status_code == 200
    session.expire_all()
    post = session.get(Post, p["id"])
    assert post is not None
    assert (post.body, post.score, post.endorsed_by_id) == ("new", 0, None)
    assert post.author_id == world.users["alice"].id


def test_reply_increments_count_and_activity(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    reply(client, world.headers["bob"], tid, "First")
    reply(client, world.headers["teacher"], tid, "Second")
    detail = client.get(f"/api/v1/threads/{tid}").json()
    assert detail["thread"]["reply_count"] == 2
    assert [p["body"] for p in detail["replies"]] == ["First", "Second"]
    assert detail["thread"]["last_activity_at"] >= t["thread"]["last_activity_at"]


def test_reply_with_empty_body_is_rejected(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    r = client.post(
        f"/api/v1/threads/{t['thread']['id']}/replies",
        json={"body": "  \n "},
        headers=world.headers["bob"],
    )
    assert r.status_code == 422
    assert "reply is empty" in r.json()["detail"]


def test_edit_thread_marks_question_edited_and_records_event(
    client: TestClient, world: World, session: Session
) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    r = client.patch(
        f"/api/v1/threads/{tid}",
        json={"title": "Better title", "body": "Better body"},
        headers=world.headers["alice"],
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["thread"]["title"] == "Better title"
    assert data["question"]["body"] == "Better body"
    assert data["question"]["edited_at"] is not None
    assert data["question"]["edited_by"]["username"] == "alice"
    events = session.exec(select(IndexEvent).where(IndexEvent.doc_id == tid)).all()
    assert len([e for e in events if e.doc_type == "thread"]) == 2


def test_delete_thread_hides_it_everywhere(
    client: TestClient, world: World, session: Session
) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    p = reply(client, world.headers["bob"], tid)
    assert (
        client.delete(f"/api/v1/threads/{tid}", headers=world.headers["alice"]).status_code == 200
    )
    assert client.get(f"/api/v1/threads/{tid}").status_code == 404
    listing = client.get("/api/v1/courses/dl/threads").json()
    assert listing == {"data": [], "count": 0}
    ops = session.exec(select(IndexEvent.doc_type, IndexEvent.doc_id, IndexEvent.op)).all()
    assert ("thread", tid, "delete") in ops and ("post", p["id"], "delete") in ops


def test_delete_reply_shows_as_deleted(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    p = reply(client, world.headers["bob"], tid, "secret words")
    r = client.delete(f"/api/v1/posts/{p['id']}", headers=world.headers["bob"])
    assert r.status_code == 200
    detail = client.get(f"/api/v1/threads/{tid}").json()
    assert detail["replies"][0]["deleted"] is True
    assert "secret words" not in client.get(f"/api/v1/threads/{tid}").text
    assert detail["thread"]["reply_count"] == 0
    assert (
        client.patch(
            f"/api/v1/posts/{p['id']}", json={"body": "back"}, headers=world.headers["bob"]
        ).status_code
        == 404
    )


def test_vote_change_and_retract_keep_scores_in_step(
    client: TestClient, world: World, session: Session
) -> None:
    t = ask(client, world.headers["alice"])
    qid, tid = t["question"]["id"], t["thread"]["id"]
    h = world.headers
    assert (
        client.put(f"/api/v1/posts/{qid}/vote", json={"value": 1}, headers=h["bob"]).json()["score"]
        == 1
    )
    client.put(f"/api/v1/posts/{qid}/vote", json={"value": 1}, headers=h["mod"])
    r = client.put(f"/api/v1/posts/{qid}/vote", json={"value": -1}, headers=h["bob"])
    assert r.json()["score"] == 0 and r.json()["my_vote"] == -1
    assert client.get(f"/api/v1/threads/{tid}").json()["thread"]["score"] == 0
    r = client.delete(f"/api/v1/posts/{qid}/vote", headers=h["bob"])
    assert r.json()["score"] == 1 and r.json()["my_vote"] is None
    session.expire_all()
    thread = session.get(Thread, tid)
    assert thread is not None and thread.score == 1


def test_vote_on_own_post_is_refused(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    r = client.put(
        f"/api/v1/posts/{t['question']['id']}/vote",
        json={"value": 1},
        headers=world.headers["alice"],
    )
    assert r.status_code == 403
    assert "own post" in r.json()["detail"]


def test_vote_with_other_value_is_rejected(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    r = client.put(
        f"/api/v1/posts/{t['question']['id']}/vote",
        json={"value": 5},
        headers=world.headers["bob"],
    )
    assert r.status_code == 422


def test_accept_toggles_and_keeps_one_accepted(
    client: TestClient, world: World, session: Session
) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    p1 = reply(client, world.headers["bob"], tid, "one")
    p2 = reply(client, world.headers["mod"], tid, "two")
    h = world.headers["alice"]
    url = f"/api/v1/threads/{tid}/accept"
    assert (
        client.post(url, json={"post_id": p1["id"]}, headers=h).json()["accepted_post_id"]
        == (p1["id"])
    )
    assert (
        client.post(url, json={"post_id": p2["id"]}, headers=h).json()["accepted_post_id"]
        == (p2["id"])
    )
    detail = client.get(f"/api/v1/threads/{tid}").json()
    assert [p["accepted"] for p in detail["replies"]] == [False, True]
    assert (
        client.post(url, json={"post_id": p2["id"]}, headers=h).json()["accepted_post_id"] is None
    )
    r = client.post(url, json={"post_id": t["question"]["id"]}, headers=h)
    assert r.status_code == 422


def test_accept_reply_of_another_thread_gets_404(client: TestClient, world: World) -> None:
    t1 = ask(client, world.headers["alice"])
    t2 = ask(client, world.headers["alice"], title="Other")
    p = reply(client, world.headers["bob"], t2["thread"]["id"])
    r = client.post(
        f"/api/v1/threads/{t1['thread']['id']}/accept",
        json={"post_id": p["id"]},
        headers=world.headers["alice"],
    )
    assert r.status_code == 404


def test_endorse_and_unendorse_by_instructor(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    p = reply(client, world.headers["bob"], t["thread"]["id"])
    h = world.headers["teacher"]
    r = client.post(f"/api/v1/posts/{p['id']}/endorse", headers=h)
    assert r.status_code == 200 and r.json()["endorsed"] is True
    assert r.json()["endorsed_by"]["username"] == "teacher"
    r = client.post(f"/api/v1/posts/{p['id']}/endorse", json={"value": False}, headers=h)
    assert r.json()["endorsed"] is False


def test_locked_thread_refuses_replies(client: TestClient, world: World, session: Session) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    r = client.post(
        f"/api/v1/threads/{tid}/lock", json={"value": True}, headers=world.headers["mod"]
    )
    assert r.status_code == 200 and r.json()["locked"] is True
    r = client.post(
        f"/api/v1/threads/{tid}/replies", json={"body": "late"}, headers=world.headers["bob"]
    )
    assert r.status_code == 409
    assert "locked" in r.json()["detail"]
    assert _count(session, Post) == 1
    client.post(f"/api/v1/threads/{tid}/lock", json={"value": False}, headers=world.headers["mod"])
    reply(client, world.headers["bob"], tid)


def test_follow_and_unfollow(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    tid = t["thread"]["id"]
    h = world.headers["bob"]
    assert client.get(f"/api/v1/threads/{tid}", headers=h).json()["following"] is False
    assert client.post(f"/api/v1/threads/{tid}/follow", headers=h).status_code == 200
    assert client.post(f"/api/v1/threads/{tid}/follow", headers=h).status_code == 200
    assert client.get(f"/api/v1/threads/{tid}", headers=h).json()["following"] is True
    assert client.delete(f"/api/v1/threads/{tid}/follow", headers=h).status_code == 200
    assert client.get(f"/api/v1/threads/{tid}", headers=h).json()["following"] is False


def test_list_threads_sorts_pins_first_and_paginates(client: TestClient, world: World) -> None:
    h = world.headers
    t1 = ask(client, h["alice"], title="first", assignment="a1")["thread"]["id"]
    t2 = ask(client, h["alice"], title="second", assignment="a2")["thread"]["id"]
    t3 = ask(client, h["bob"], title="third", assignment="a1")["thread"]["id"]
    detail1 = client.get(f"/api/v1/threads/{t1}").json()
    client.put(
        f"/api/v1/posts/{detail1['question']['id']}/vote", json={"value": 1}, headers=h["mod"]
    )
    p = reply(client, h["bob"], t2)
    client.post(f"/api/v1/threads/{t2}/accept", json={"post_id": p["id"]}, headers=h["alice"])

    def ids(query: str) -> list[int]:
        r = client.get(f"/api/v1/courses/dl/threads?{query}")
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()["data"]]

    assert ids("sort=newest") == [t3, t2, t1]
    assert ids("sort=activity") == [t2, t3, t1]
    assert ids("sort=votes")[0] == t1
    assert ids("sort=unanswered") == [t3, t1]
    assert ids("sort=newest&assignment=a1") == [t3, t1]
    page = client.get("/api/v1/courses/dl/threads?sort=newest&limit=2&offset=2").json()
    assert page["count"] == 3 and [t["id"] for t in page["data"]] == [t1]
    client.post(f"/api/v1/threads/{t1}/pin", json={"value": True}, headers=h["teacher"])
    assert ids("sort=newest")[0] == t1
    assert client.get("/api/v1/courses/dl/threads?sort=bogus").status_code == 422
    assert client.get("/api/v1/courses/dl/threads?assignment=zzz").status_code == 404


def test_courses_and_assignments_list(client: TestClient, world: World) -> None:
    ask(client, world.headers["alice"])
    courses = client.get("/api/v1/courses").json()
    dl = next(c for c in courses["data"] if c["slug"] == "dl")
    assert (dl["assignment_count"], dl["thread_count"]) == (2, 1)
    assert client.get("/api/v1/courses/dl").json()["title"] == "Deep Learning"
    assert client.get("/api/v1/courses/nope").status_code == 404
    slugs = [a["slug"] for a in client.get("/api/v1/courses/dl/assignments").json()["data"]]
    assert slugs == ["a1", "a2"] or sorted(slugs) == ["a1", "a2"]


def test_new_account_posting_is_rate_limited(
    client: TestClient,
    world: World,
    make_user,
    token_for,  # type: ignore[no-untyped-def]
) -> None:
    newbie = token_for(make_user("newbie"))
    t = ask(client, world.headers["alice"])
    statuses = [
        client.post(
            f"/api/v1/threads/{t['thread']['id']}/replies", json={"body": f"{i}"}, headers=newbie
        ).status_code
        for i in range(6)
    ]
    assert statuses == [201] * 5 + [429]
    r = client.post(
        f"/api/v1/threads/{t['thread']['id']}/replies", json={"body": "x"}, headers=newbie
    )
    assert int(r.headers["Retry-After"]) >= 1
    assert "Too many posts" in r.json()["detail"]
    # An established account is not held back by the newcomer's limit.
    reply(client, world.headers["bob"], t["thread"]["id"])


def test_out_of_range_ids_and_nul_characters_get_clear_4xx(
    client: TestClient, world: World, session: Session
) -> None:
    h = world.headers["alice"]
    assert client.get("/api/v1/threads/99999999999999999999").status_code == 404
    assert client.get(f"/api/v1/threads/{2**40}").status_code == 404
    assert client.patch(f"/api/v1/posts/{2**40}", json={"body": "x"}, headers=h).status_code == 404
    assert client.get("/api/v1/courses/d%00l/threads").status_code == 404
    t = ask(client, h, title="Null\x00 byte", body="body\x00 text")
    r = client.post(
        f"/api/v1/threads/{t['thread']['id']}/accept", json={"post_id": 2**40}, headers=h
    )
    assert r.status_code == 404
    assert t["thread"]["title"] == "Null byte" and t["question"]["body"] == "body text"


def test_posting_is_rate_limited_per_user_and_per_ip(
    app,
    client: TestClient,
    world: World,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from core.settings import get_settings

    monkeypatch.setattr(get_settings(), "rate_post", "3/60")
    t = ask(client, world.headers["alice"])  # alice: 1 of 3
    tid = t["thread"]["id"]
    url = f"/api/v1/threads/{tid}/replies"
    assert client.post(url, json={"body": "2"}, headers=world.headers["alice"]).status_code == 201
    assert client.post(url, json={"body": "3"}, headers=world.headers["alice"]).status_code == 201
    r = client.post(url, json={"body": "4"}, headers=world.headers["alice"])
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # bob has posted nothing, but shares alice's address, which has used its 3 posts.
    r = client.post(url, json={"body": "bob"}, headers=world.headers["bob"])
    assert r.status_code == 429
    assert "from this address" in r.json()["detail"]
    # From another address bob gets through; alice does not (her own limit).
    with TestClient(app, client=("10.9.8.7", 5000)) as elsewhere:
        assert (
            elsewhere.post(url, json={"body": "b"}, headers=world.headers["bob"]).status_code == 201
        )
        r = elsewhere.post(url, json={"body": "a"}, headers=world.headers["alice"])
        assert r.status_code == 429
