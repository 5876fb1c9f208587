"""Reporter, "affects me" users and followers of linked threads hear of verify, reject and fix."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from errata import service
from errata.models import ErratumStatus, Notification
from forum.models import Thread, ThreadFollow
from tests.conftest import login_browser
from tests.errata.conftest import World

S = ErratumStatus
API = "/api/v1"


def _notified(session: Session, erratum_id: int | None) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for n in session.exec(select(Notification).where(Notification.erratum_id == erratum_id)):
        out.setdefault(n.user_id, []).append(n.message)
    return out


def test_verify_and_fix_notify_reporter_affected_and_followers(
    session: Session, world: World, report: Any, make_user: Any
) -> None:
    source = Thread(course_id=world.course.id, author_id=world.learner.id, title="source")
    linked = Thread(course_id=world.course.id, author_id=world.learner.id, title="linked")
    session.add_all([source, linked])
    session.commit()
    follower_a, follower_b, bystander = (
        make_user("fol_a"),
        make_user("fol_b"),
        make_user("bystander"),
    )
    session.add(ThreadFollow(user_id=follower_a.id, thread_id=source.id))
    session.add(ThreadFollow(user_id=follower_b.id, thread_id=linked.id))
    session.commit()
    e = report(source_thread_id=source.id)
    service.link_thread(session=session, user=world.moderator, erratum_id=e.id, thread_id=linked.id)
    service.toggle_affects(session=session, user=world.other_learner, erratum_id=e.id)

    service.transition(
        session=session, user=world.instructor, erratum_id=e.id, to_status=S.verified
    )
    got = _notified(session, e.id)
    expected = {world.learner.id, world.other_learner.id, follower_a.id, follower_b.id}
    assert set(got) == expected
    assert bystander.id not in got and world.instructor.id not in got
    assert "verified" in got[world.learner.id][0]

    service.transition(
        session=session, user=world.instructor, erratum_id=e.id, to_status=S.fixed, fixed_in="3a"
    )
    got = _notified(session, e.id)
    assert all(len(msgs) == 2 for msgs in got.values())
    assert "fixed in version 3a" in got[world.learner.id][1]


def test_reject_notifies_and_duplicate_does_not(
    session: Session, world: World, report: Any
) -> None:
    original, dup, wrong = report(), report(), report()
    service.transition(
        session=session,
        user=world.moderator,
        erratum_id=dup.id,
        to_status=S.duplicate,
        duplicate_of_id=original.id,
    )
    assert _notified(session, dup.id) == {}
    service.transition(
        session=session,
        user=world.moderator,
        erratum_id=wrong.id,
        to_status=S.rejected,
        reason="Expected output is right.",
    )
    assert "not an erratum" in _notified(session, wrong.id)[world.learner.id][0].lower()


def test_notifications_api_counts_unread_and_marks_read(
    client: TestClient, session: Session, world: World, report: Any, token_for: Any
) -> None:
    e = report()
    service.transition(session=session, user=world.moderator, erratum_id=e.id, to_status=S.verified)
    headers = token_for(world.learner)
    body = client.get(f"{API}/notifications", headers=headers).json()
    assert body["count"] == 1 and body["unread"] == 1
    assert body["data"][0]["url"] == f"/errata/{e.id}"
    nid = body["data"][0]["id"]
    # Someone else can't mark it read.
    client.post(f"{API}/notifications/{nid}/read", headers=token_for(world.other_learner))
    assert client.get(f"{API}/notifications", headers=headers).json()["unread"] == 1
    assert client.post(f"{API}/notifications/{nid}/read", headers=headers).status_code == 200
    assert client.get(f"{API}/notifications", headers=headers).json()["unread"] == 0
    assert client.get(f"{API}/notifications").status_code == 401


def test_header_shows_unread_count_and_page_marks_all_read(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    service.transition(session=session, user=world.moderator, erratum_id=e.id, to_status=S.verified)
    csrf = login_browser(client, world.learner.username)
    page = client.get("/notifications")
    assert '<span class="badge badge-count">1</span>' in page.text
    assert "Erratum verified" in page.text
    client.post("/notifications/read", data={"csrf_token": csrf})
    page = client.get("/notifications")
    assert "badge-count" not in page.text


def test_instructor_sees_moderation_link(client: TestClient, world: World) -> None:
    login_browser(client, world.instructor.username)
    assert 'href="/moderation"' in client.get("/notifications").text
    client.cookies.clear()
    login_browser(client, world.learner.username)
    assert 'href="/moderation"' not in client.get("/notifications").text
