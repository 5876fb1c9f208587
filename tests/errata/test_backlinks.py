"""A staff post that links an erratum links its thread to it (``errata.backlinks``).

A moderator answering "this is the known erratum [#12](/errata/12)" ties the thread to the
erratum as linking it on the erratum's page would: the erratum lists the thread and the
thread's followers hear when it is verified or fixed. A learner's link ties nothing (it would let
anyone make an erratum's news reach a thread's followers), nor does a link to another course's
erratum.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from errata.models import Erratum, ErratumLink, Notification
from tests.errata.conftest import World
from tests.errata.test_lifecycle import API, _report


def _question(client: TestClient, world: World, headers: dict[str, str]) -> int:
    r = client.post(
        f"{API}/courses/{world.course.slug}/threads",
        json={"title": "lstm_forward a[4][3][6] differs", "body": "Mine is 0.0191421796871."},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["thread"]["id"])


def _asked_and_reported(client: TestClient, world: World, token_for: Any) -> tuple[int, int]:
    """A classmate's question thread and the erratum a learner reported: their ids."""
    thread_id = _question(client, world, token_for(world.other_learner))
    eid = _report(client, token_for(world.learner), world).json()["id"]
    return thread_id, eid


def _reply(client: TestClient, thread_id: int, body: str, headers: dict[str, str]) -> Any:
    r = client.post(f"{API}/threads/{thread_id}/replies", json={"body": body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _linked(client: TestClient, erratum_id: int, headers: dict[str, str]) -> list[int]:
    r = client.get(f"{API}/errata/{erratum_id}", headers=headers)
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["threads"]]


def test_a_staff_reply_linking_an_erratum_links_its_thread_and_its_followers_hear_of_it(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    thread_id, eid = _asked_and_reported(client, world, token_for)
    staff = token_for(world.moderator)
    _reply(
        client,
        thread_id,
        f"Yours is right: this is the known erratum [#{eid}](/errata/{eid}).",
        staff,
    )
    assert _linked(client, eid, staff) == [thread_id]
    r = client.post(f"{API}/errata/{eid}/verify", json={"reason": "Confirmed."}, headers=staff)
    assert r.status_code == 200, r.text
    session.expire_all()
    told = session.exec(select(Notification.user_id).where(Notification.erratum_id == eid)).all()
    assert world.other_learner.id in told


def test_a_learners_link_links_nothing(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    thread_id, eid = _asked_and_reported(client, world, token_for)
    learner = token_for(world.learner)
    _reply(client, thread_id, f"I think it's https://checkfirst.example/errata/{eid}", learner)
    session.expire_all()
    assert session.exec(select(ErratumLink)).all() == []


def test_an_edit_that_adds_the_link_links_and_another_courses_erratum_is_not_linked(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    thread_id, eid = _asked_and_reported(client, world, token_for)
    elsewhere = Erratum(
        course_id=world.other_course.id, reporter_id=world.learner.id, title="conv_forward Z",
        description="Another course's erratum.", location="conv_forward",
    )  # fmt: skip
    session.add(elsewhere)
    session.commit()
    staff = token_for(world.admin)
    post = _reply(client, thread_id, "Looking into it.", staff)
    body = f"Known erratum: https://checkfirst.example/errata/{eid} (not /errata/{elsewhere.id})"
    r = client.patch(f"{API}/posts/{post['id']}", json={"body": body}, headers=staff)
    assert r.status_code == 200, r.text
    session.expire_all()
    rows = session.exec(select(ErratumLink.erratum_id, ErratumLink.thread_id)).all()
    assert rows == [(eid, thread_id)]
    # Saying it again links nothing twice.
    _reply(client, thread_id, f"See [the erratum](/errata/{eid}).", staff)
    session.expire_all()
    assert len(session.exec(select(ErratumLink)).all()) == 1


def test_the_links_a_post_makes_to_errata() -> None:
    from errata.backlinks import referenced

    body = (
        "See [#12](/errata/12). Also https://forum.example/errata/7, and /errata/12 again; "
        "not /errata/9/edit, not /errata/report, not /errata/ or /courses/x/errata. End /errata/3"
    )
    assert referenced(body) == [12, 7, 3]
    assert referenced("x" * 100_000 + "/errata/5") == [5]


def test_a_moderator_editing_a_learners_post_links_nothing(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    thread_id, eid = _asked_and_reported(client, world, token_for)
    learner = token_for(world.learner)
    post = _reply(client, thread_id, f"Maybe it is /errata/{eid}", learner)
    r = client.patch(
        f"{API}/posts/{post['id']}",
        json={"body": f"Maybe it is [this erratum](/errata/{eid})."},
        headers=token_for(world.moderator),
    )
    assert r.status_code == 200, r.text
    session.expire_all()
    assert session.exec(select(ErratumLink)).all() == []
