"""A reporter links only threads they wrote; moderators link any (issue #11).

A linked thread's followers are notified when the erratum changes, so linking someone else's
popular thread would let any learner message its followers.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from errata.models import ErratumLink, Notification
from forum.models import Thread, ThreadFollow
from tests.errata.conftest import World
from tests.errata.test_lifecycle import API, _report


def _thread(session: Session, world: World, author: Any, title: str) -> Thread:
    thread = Thread(course_id=world.course.id, author_id=author.id, title=title)
    session.add(thread)
    session.commit()
    return thread


def test_reporter_cannot_link_someone_elses_thread(
    client: TestClient, world: World, token_for: Any, session: Session, make_user: Any
) -> None:
    popular = _thread(session, world, world.other_learner, "A thread many people follow")
    follower = make_user("follower")
    session.add(ThreadFollow(user_id=follower.id, thread_id=popular.id))
    session.commit()
    learner = token_for(world.learner)
    eid = _report(client, learner, world).json()["id"]
    r = client.post(f"{API}/errata/{eid}/links", json={"thread_id": popular.id}, headers=learner)
    assert r.status_code == 403
    assert "threads you started" in r.json()["detail"]
    session.expire_all()
    assert session.exec(select(ErratumLink)).all() == []
    # So the moderator's verdict reaches the reporter, not the other thread's followers.
    r = client.post(
        f"{API}/errata/{eid}/verify", json={"reason": "ok"}, headers=token_for(world.moderator)
    )
    assert r.status_code == 200, r.text
    notified = session.exec(select(Notification.user_id)).all()
    assert follower.id not in notified


def test_reporter_links_own_thread_and_staff_link_any(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    own = _thread(session, world, world.learner, "My own question about it")
    theirs = _thread(session, world, world.other_learner, "Someone else's question")
    learner = token_for(world.learner)
    eid = _report(client, learner, world).json()["id"]
    url = f"{API}/errata/{eid}/links"
    assert client.post(url, json={"thread_id": own.id}, headers=learner).status_code == 200
    for staff in (world.instructor, world.moderator):
        r = client.post(url, json={"thread_id": theirs.id}, headers=token_for(staff))
        assert r.status_code == 200, r.text
    assert [t["id"] for t in r.json()["threads"]] == [own.id, theirs.id]


def test_reporter_linking_a_private_thread_they_cannot_see_is_told_it_does_not_exist(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    # The forum's one rule for "visible" (issue #17): a classmate's private thread is as absent
    # as a deleted one, not "someone else's" (which would say it exists).
    private = _thread(session, world, world.other_learner, "A private question")
    private.is_private = True
    session.add(private)
    session.commit()
    learner = token_for(world.learner)
    eid = _report(client, learner, world).json()["id"]
    r = client.post(f"{API}/errata/{eid}/links", json={"thread_id": private.id}, headers=learner)
    assert r.status_code == 404
    assert r.json()["detail"] == f"There is no thread {private.id}; check the link."
