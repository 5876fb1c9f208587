"""Report → verify/reject/duplicate → fixed, through the JSON API, with history rows."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from errata.models import Erratum, ErratumHistory
from index.events import IndexEvent
from tests.errata.conftest import World

API = "/api/v1"


def _report(client: TestClient, headers: dict[str, str], world: World, **extra: Any) -> Any:
    body = {
        "course": world.course.slug,
        "assignment": world.assignment.slug,
        "title": "lstm_forward expected a[4][3][6] is wrong",
        "description": "The notebook's expected output disagrees with the formula.",
        "location": "lstm_forward",
        "published_output": "a[4][3][6] = 0.172117767533",
        "corrected_output": "a[4][3][6] = 0.0191421796871",
        **extra,
    }
    return client.post(f"{API}/errata", json=body, headers=headers)


def test_report_then_verify_then_fix_records_history(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    learner, instructor = token_for(world.learner), token_for(world.instructor)
    r = _report(client, learner, world)
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    assert r.json()["status"] == "reported"
    r = client.post(f"{API}/errata/{eid}/verify", json={"reason": "Confirmed."}, headers=instructor)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "verified"
    assert r.json()["verifier"]["username"] == world.instructor.username
    r = client.post(f"{API}/errata/{eid}/fix", json={"fixed_in": "3a"}, headers=instructor)
    assert r.status_code == 200, r.text
    detail = client.get(f"{API}/errata/{eid}").json()
    assert detail["status"] == "fixed" and detail["fixed_in"] == "3a"
    steps = [(h["from_status"], h["to_status"]) for h in detail["history"]]
    assert steps == [(None, "reported"), ("reported", "verified"), ("verified", "fixed")]
    assert detail["history"][1]["actor"]["username"] == world.instructor.username
    assert detail["history"][1]["reason"] == "Confirmed."
    # One index event per create and per transition.
    seqs = session.exec(select(IndexEvent).where(IndexEvent.doc_type == "erratum")).all()
    assert len(seqs) == 3 and {e.doc_id for e in seqs} == {eid}


def test_reject_without_reason_is_refused(client: TestClient, world: World, token_for: Any) -> None:
    eid = _report(client, token_for(world.learner), world).json()["id"]
    r = client.post(
        f"{API}/errata/{eid}/reject", json={"reason": "  "}, headers=token_for(world.moderator)
    )
    assert r.status_code == 422
    assert "Explain why" in r.json()["detail"]
    assert client.get(f"{API}/errata/{eid}").json()["status"] == "reported"


def test_reject_with_reason_shows_it_to_learners(
    client: TestClient, world: World, token_for: Any
) -> None:
    eid = _report(client, token_for(world.learner), world).json()["id"]
    reason = "Your a_prev was transposed; the expected output is right."
    r = client.post(
        f"{API}/errata/{eid}/reject", json={"reason": reason}, headers=token_for(world.moderator)
    )
    assert r.status_code == 200
    detail = client.get(f"{API}/errata/{eid}").json()
    assert detail["status"] == "rejected" and detail["resolution_note"] == reason


def test_duplicate_needs_existing_erratum_in_same_course(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    learner, mod = token_for(world.learner), token_for(world.moderator)
    first = _report(client, learner, world).json()["id"]
    second = _report(client, learner, world).json()["id"]
    r = client.post(f"{API}/errata/{second}/duplicate", json={"duplicate_of": second}, headers=mod)
    assert r.status_code == 422 and "itself" in r.json()["detail"]
    r = client.post(f"{API}/errata/{second}/duplicate", json={"duplicate_of": 99999}, headers=mod)
    assert r.status_code == 404
    elsewhere = Erratum(course_id=world.other_course.id, title="x", reporter_id=world.learner.id)
    session.add(elsewhere)
    session.commit()
    r = client.post(
        f"{API}/errata/{second}/duplicate", json={"duplicate_of": elsewhere.id}, headers=mod
    )
    assert r.status_code == 422 and "another course" in r.json()["detail"]
    r = client.post(f"{API}/errata/{second}/duplicate", json={"duplicate_of": first}, headers=mod)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "duplicate" and r.json()["duplicate_of_id"] == first


def test_fix_needs_version_and_verified_status(
    client: TestClient, world: World, token_for: Any
) -> None:
    mod = token_for(world.moderator)
    eid = _report(client, token_for(world.learner), world).json()["id"]
    r = client.post(f"{API}/errata/{eid}/fix", json={"fixed_in": "4"}, headers=mod)
    assert r.status_code == 409
    assert "reported erratum can't be marked fixed" in r.json()["detail"]
    client.post(f"{API}/errata/{eid}/verify", json={}, headers=mod)
    r = client.post(f"{API}/errata/{eid}/fix", json={"fixed_in": " "}, headers=mod)
    assert r.status_code == 422 and "version" in r.json()["detail"]


def test_closed_erratum_refuses_every_transition_with_409(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    mod = token_for(world.moderator)
    eid = _report(client, token_for(world.learner), world).json()["id"]
    client.post(f"{API}/errata/{eid}/reject", json={"reason": "Not a bug."}, headers=mod)
    for action, body in [
        ("verify", {}),
        ("reject", {"reason": "again"}),
        ("duplicate", {"duplicate_of": eid}),
        ("fix", {"fixed_in": "2"}),
    ]:
        r = client.post(f"{API}/errata/{eid}/{action}", json=body, headers=mod)
        assert r.status_code == 409, (action, r.text)
        assert r.json()["detail"]
    rows = session.exec(select(ErratumHistory).where(ErratumHistory.erratum_id == eid)).all()
    assert len(rows) == 2


def test_learner_sending_status_verified_gets_a_reported_erratum(
    client: TestClient, world: World, token_for: Any
) -> None:
    r = _report(
        client,
        token_for(world.learner),
        world,
        status="verified",
        verifier_id=world.admin.id,
        affects_count=500,
        fixed_in="9",
    )
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "reported" and body["verifier"] is None
    assert body["affects_count"] == 0 and body["fixed_in"] is None
    r = client.patch(
        f"{API}/errata/{body['id']}", json={"status": "verified"}, headers=token_for(world.learner)
    )
    assert r.status_code == 200
    assert client.get(f"{API}/errata/{body['id']}").json()["status"] == "reported"


def test_reporter_edits_while_reported_but_not_after(
    client: TestClient, world: World, token_for: Any
) -> None:
    learner = token_for(world.learner)
    eid = _report(client, learner, world).json()["id"]
    r = client.patch(f"{API}/errata/{eid}", json={"workaround": "Ignore cell 12."}, headers=learner)
    assert r.status_code == 200 and r.json()["workaround"] == "Ignore cell 12."
    r = client.patch(
        f"{API}/errata/{eid}", json={"title": "Mine"}, headers=token_for(world.other_learner)
    )
    assert r.status_code == 403
    client.post(f"{API}/errata/{eid}/verify", json={}, headers=token_for(world.instructor))
    r = client.patch(f"{API}/errata/{eid}", json={"title": "Changed"}, headers=learner)
    assert r.status_code == 409
    r = client.patch(
        f"{API}/errata/{eid}", json={"title": "Clearer title"}, headers=token_for(world.instructor)
    )
    assert r.status_code == 200 and r.json()["title"] == "Clearer title"


def test_report_from_reply_links_the_thread(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    from forum.models import Post, Thread

    thread = Thread(course_id=world.course.id, author_id=world.learner.id, title="a_next is off")
    session.add(thread)
    session.commit()
    reply = Post(thread_id=thread.id, author_id=world.other_learner.id, body="Same here.")
    session.add(reply)
    session.commit()
    r = _report(client, token_for(world.learner), world, source_post_id=reply.id)
    assert r.status_code == 201, r.text
    assert r.json()["source_thread_id"] == thread.id
    assert [t["id"] for t in r.json()["threads"]] == [thread.id]


def test_report_unknown_course_or_empty_title_is_refused(
    client: TestClient, world: World, token_for: Any
) -> None:
    learner = token_for(world.learner)
    r = _report(client, learner, world, course="no-such-course")
    assert r.status_code == 404 and "no course" in r.json()["detail"]
    r = _report(client, learner, world, title="   ")
    assert r.status_code == 422


def test_report_rate_limit_returns_429(client: TestClient, world: World, token_for: Any) -> None:
    learner = token_for(world.learner)
    codes = [_report(client, learner, world).status_code for _ in range(11)]
    assert codes[:10] == [201] * 10
    assert codes[10] == 429


def test_list_defaults_to_verified_and_fixed_and_filters_by_version(
    client: TestClient, world: World, token_for: Any
) -> None:
    learner, mod = token_for(world.learner), token_for(world.moderator)
    a = _report(client, learner, world, affected_versions="2,3").json()["id"]
    b = _report(client, learner, world, affected_versions="3a").json()["id"]
    _report(client, learner, world).json()["id"]  # stays reported
    for eid in (a, b):
        client.post(f"{API}/errata/{eid}/verify", json={}, headers=mod)
    r = client.get(f"{API}/errata", params={"course": world.course.slug})
    assert r.json()["count"] == 2
    r = client.get(f"{API}/errata", params={"course": world.course.slug, "version": "3"})
    assert [e["id"] for e in r.json()["data"]] == [a]
    # A version is matched by its order, not its spelling, as the banner and the assistant do.
    for spelled in ("v3", "V3", " 3 "):
        r = client.get(f"{API}/errata", params={"course": world.course.slug, "version": spelled})
        assert [e["id"] for e in r.json()["data"]] == [a], spelled
    r = client.get(f"{API}/errata", params={"course": world.course.slug, "version": "3A"})
    assert [e["id"] for e in r.json()["data"]] == [b] and r.json()["count"] == 1
    # No LIKE wildcard in a version: "%" is just an unknown version.
    r = client.get(f"{API}/errata", params={"course": world.course.slug, "version": "%"})
    assert r.json()["count"] == 0
    r = client.get(f"{API}/errata", params={"course": world.course.slug, "status": "reported"})
    assert r.json()["count"] == 1
    r = client.get(f"{API}/errata", params={"course": world.course.slug, "limit": 1, "offset": 1})
    assert r.json()["count"] == 2 and len(r.json()["data"]) == 1


def test_report_rate_limit_counts_per_ip_too(
    client: TestClient, world: World, token_for: Any
) -> None:
    first, second = token_for(world.learner), token_for(world.other_learner)
    for _ in range(10):
        assert _report(client, first, world).status_code == 201
    r = _report(client, second, world)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "Too many erratum reports" in r.json()["detail"]


def test_link_thread_by_reporter_or_moderator_only(
    client: TestClient, world: World, token_for: Any, session: Session
) -> None:
    from forum.models import Thread

    here = Thread(course_id=world.course.id, author_id=world.learner.id, title="same bug")
    there = Thread(course_id=world.other_course.id, author_id=world.learner.id, title="other")
    session.add_all([here, there])
    session.commit()
    eid = _report(client, token_for(world.learner), world).json()["id"]
    url = f"{API}/errata/{eid}/links"
    r = client.post(url, json={"thread_id": here.id}, headers=token_for(world.other_learner))
    assert r.status_code == 403
    r = client.post(url, json={"thread_id": there.id}, headers=token_for(world.learner))
    assert r.status_code == 422 and "another course" in r.json()["detail"]
    r = client.post(url, json={"thread_id": here.id}, headers=token_for(world.learner))
    assert r.status_code == 200 and [t["id"] for t in r.json()["threads"]] == [here.id]
    r = client.delete(f"{url}/{here.id}", headers=token_for(world.learner))
    assert r.status_code == 403
    r = client.delete(f"{url}/{here.id}", headers=token_for(world.instructor))
    assert r.status_code == 200 and r.json()["threads"] == []
