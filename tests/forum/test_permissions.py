"""ACCEPTANCE A1 and A2: moderation and editing as every role; others' posts stay untouched."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from forum.models import Post, Thread
from tests.forum.conftest import World, ask, reply

ACTORS = ["anonymous", "bob", "stranger", "teacher", "mod", "root"]
# bob: a learner who wrote neither post; stranger: instructor of another course;
# teacher: instructor of this course; mod: site moderator; root: admin.
ALLOWED = {"teacher", "mod", "root"}


def _do(client: TestClient, action: str, ids: dict[str, int], headers: dict[str, str]) -> Any:
    tid, pid = ids["thread"], ids["reply"]
    calls = {
        "pin": ("post", f"/api/v1/threads/{tid}/pin", {"value": True}),
        "unpin": ("post", f"/api/v1/threads/{tid}/pin", {"value": False}),
        "lock": ("post", f"/api/v1/threads/{tid}/lock", {"value": True}),
        "endorse": ("post", f"/api/v1/posts/{pid}/endorse", {"value": True}),
        "accept": ("post", f"/api/v1/threads/{tid}/accept", {"post_id": pid}),
        "edit_thread": ("patch", f"/api/v1/threads/{tid}", {"title": "Changed"}),
        "edit_post": ("patch", f"/api/v1/posts/{pid}", {"body": "Changed"}),
        "delete_thread": ("delete", f"/api/v1/threads/{tid}", None),
        "delete_post": ("delete", f"/api/v1/posts/{pid}", None),
    }
    method, url, body = calls[action]
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return client.request(method.upper(), url, **kwargs)


def _state(session: Session, ids: dict[str, int]) -> tuple[Any, ...]:
    session.expire_all()
    t = session.get(Thread, ids["thread"])
    p = session.get(Post, ids["reply"])
    assert t is not None and p is not None
    return (
        t.title, t.pinned, t.locked, t.deleted_at, t.accepted_post_id,
        p.body, p.deleted_at, p.endorsed_by_id, p.edited_at,
    )  # fmt: skip


@pytest.mark.parametrize(
    "action",
    [
        "pin",
        "lock",
        "endorse",
        "accept",
        "edit_thread",
        "edit_post",
        "delete_thread",
        "delete_post",
    ],
)
@pytest.mark.parametrize("actor", ACTORS)
def test_moderation_action_allowed_only_for_course_staff(
    client: TestClient, world: World, session: Session, action: str, actor: str
) -> None:
    t = ask(client, world.headers["alice"])
    # A self-answer, so that the thread's and the reply's author is the same learner (alice).
    p = reply(client, world.headers["alice"], t["thread"]["id"], "Self answer")
    ids = {"thread": t["thread"]["id"], "reply": p["id"]}
    before = _state(session, ids)
    headers = {} if actor == "anonymous" else world.headers[actor]
    r = _do(client, action, ids, headers)
    if actor in ALLOWED:
        assert r.status_code == 200, (actor, action, r.text)
        assert _state(session, ids) != before
    else:
        assert r.status_code == (401 if actor == "anonymous" else 403), (actor, action, r.text)
        assert r.json()["detail"]
        assert _state(session, ids) == before


@pytest.mark.parametrize("action", ["accept", "edit_thread", "edit_post", "delete_post"])
def test_author_may_edit_delete_and_accept_own_content(
    client: TestClient, world: World, action: str
) -> None:
    t = ask(client, world.headers["alice"])
    p = reply(client, world.headers["alice"], t["thread"]["id"])
    ids = {"thread": t["thread"]["id"], "reply": p["id"]}
    assert _do(client, action, ids, world.headers["alice"]).status_code == 200


@pytest.mark.parametrize("action", ["pin", "lock", "endorse"])
def test_author_may_not_pin_lock_or_endorse(client: TestClient, world: World, action: str) -> None:
    t = ask(client, world.headers["alice"])
    p = reply(client, world.headers["alice"], t["thread"]["id"])
    ids = {"thread": t["thread"]["id"], "reply": p["id"]}
    assert _do(client, action, ids, world.headers["alice"]).status_code == 403


def test_thread_author_accepts_someone_elses_reply(client: TestClient, world: World) -> None:
    t = ask(client, world.headers["alice"])
    p = reply(client, world.headers["bob"], t["thread"]["id"])
    ids = {"thread": t["thread"]["id"], "reply": p["id"]}
    assert _do(client, "accept", ids, world.headers["alice"]).status_code == 200
    # bob wrote the reply but not the question: he may not accept.
    assert _do(client, "accept", ids, world.headers["bob"]).status_code == 403


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_learner_cannot_change_another_learners_post_by_id(
    client: TestClient, world: World, session: Session, method: str
) -> None:
    """ACCEPTANCE A2: learner B edits or deletes learner A's post; 403 and nothing changes."""
    t = ask(client, world.headers["alice"])
    p = reply(client, world.headers["alice"], t["thread"]["id"], "alice's words")
    ids = {"thread": t["thread"]["id"], "reply": p["id"]}
    before = _state(session, ids)
    for url in (f"/api/v1/posts/{p['id']}", f"/api/v1/posts/{t['question']['id']}"):
        kwargs: dict[str, Any] = {"headers": world.headers["bob"]}
        if method == "PATCH":
            kwargs["json"] = {"body": "bob was here"}
        r = client.request(method, url, **kwargs)
        assert r.status_code in (403, 404)
    assert _state(session, ids) == before
    session.expire_all()
    question = session.get(Post, t["question"]["id"])
    assert question is not None and question.body == t["question"]["body"]
    assert question.deleted_at is None


def test_instructor_of_this_course_cannot_moderate_another_course(
    client: TestClient, world: World
) -> None:
    t = ask(client, world.headers["alice"], course="seq", assignment="rnn")
    r = client.post(
        f"/api/v1/threads/{t['thread']['id']}/pin",
        json={"value": True},
        headers=world.headers["teacher"],
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/threads/{t['thread']['id']}/pin",
        json={"value": True},
        headers=world.headers["stranger"],
    )
    assert r.status_code == 200
