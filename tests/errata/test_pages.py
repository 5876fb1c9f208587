"""Errata pages as a person sees them: lists, the erratum page, the report form, the queue."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from errata import service
from errata.models import Erratum, ErratumStatus
from forum.models import Post, Thread
from tests.conftest import login_browser
from tests.errata.conftest import World

S = ErratumStatus


def _move(session: Session, world: World, erratum: Erratum, to: ErratumStatus, **kw: Any) -> None:
    assert erratum.id is not None
    service.transition(
        session=session, user=world.moderator, erratum_id=erratum.id, to_status=to, **kw
    )


def test_course_list_shows_verified_and_fixed_but_not_pending(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    verified = report(title="conv_forward Z mean is wrong")
    fixed = report(title="pool_backward dA_prev off by one")
    report(title="pending report about zero_pad")
    _move(session, world, verified, S.verified)
    _move(session, world, fixed, S.verified)
    _move(session, world, fixed, S.fixed, fixed_in="3a")
    r = client.get(f"/courses/{world.course.slug}/errata")
    assert r.status_code == 200
    assert "conv_forward Z mean is wrong" in r.text
    assert "fixed in 3a" in r.text
    assert "pending report about zero_pad" not in r.text
    r = client.get(f"/courses/{world.course.slug}/errata?status=reported")
    assert "pending report about zero_pad" in r.text
    r = client.get(
        f"/courses/{world.course.slug}/assignments/{world.assignment.slug}/errata?status=all"
    )
    assert r.status_code == 200 and "pending report about zero_pad" in r.text


def test_erratum_page_shows_outputs_side_by_side_and_history(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    _move(session, world, e, S.verified, reason="Checked against the reference solution.")
    r = client.get(f"/errata/{e.id}")
    assert r.status_code == 200
    assert "Published in the notebook" in r.text and "Corrected" in r.text
    # Every value differs, so every value is marked (issue #19).
    assert "[ <mark>0.59584544</mark>  <mark>0.18141802</mark>]" in r.text
    assert "[<mark>-0.99999375</mark>  <mark>0.77911235</mark>]" in r.text
    assert "Checked against the reference solution." in r.text
    assert "verified" in r.text and "History" in r.text


def test_rejected_erratum_page_shows_the_explanation(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    _move(session, world, e, S.rejected, reason="The seed changed in **v3**; rerun cell 1.")
    r = client.get(f"/errata/{e.id}")
    assert "Not an erratum." in r.text
    assert "<strong>v3</strong>" in r.text


def test_user_text_is_escaped_on_every_errata_page(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    e = report(title=payload, description=payload, published_output=payload, location="x<y")
    _move(session, world, e, S.verified)
    for url in (
        f"/errata/{e.id}",
        f"/courses/{world.course.slug}/errata",
        f"/courses/{world.course.slug}/assignments/{world.assignment.slug}",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "<script>alert(1)" not in r.text, url
        # The payload shows as text: no tag from it survives.
        assert "<img src=x" not in r.text and '<img src="x"' not in r.text, url


def test_report_form_creates_erratum_and_drops_status(client: TestClient, world: World) -> None:
    csrf = login_browser(client, world.learner.username)
    r = client.post(
        "/errata/report",
        data={
            "csrf_token": csrf,
            "course": world.course.slug,
            "assignment": world.assignment.slug,
            "title": "lstm_backward_test expects the wrong dWf",
            "location": "lstm_backward_test",
            "kind": "wrong_test",
            "published_output": "dWf[3][1] = 0.3084",
            "corrected_output": "dWf[3][1] = 0.2341",
            "status": "verified",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "lstm_backward_test expects the wrong dWf" in page.text
    assert "Reported, not yet checked" in page.text


def test_report_form_without_csrf_is_refused(client: TestClient, world: World) -> None:
    login_browser(client, world.learner.username)
    r = client.post(
        "/errata/report",
        data={"course": world.course.slug, "title": "no token"},
        follow_redirects=False,
    )
    assert r.status_code == 403


def test_report_from_thread_is_prefilled_and_linked(
    client: TestClient, session: Session, world: World
) -> None:
    thread = Thread(
        course_id=world.course.id,
        assignment_id=world.assignment.id,
        author_id=world.other_learner.id,
        title="rnn_forward a_next differs from expected",
    )
    session.add(thread)
    session.commit()
    session.add(
        Post(thread_id=thread.id, author_id=world.other_learner.id, is_question=True, body="Q?")
    )
    session.commit()
    csrf = login_browser(client, world.learner.username)
    form = client.get(f"/errata/report?thread={thread.id}")
    assert form.status_code == 200
    assert 'value="rnn_forward a_next differs from expected"' in form.text
    assert f'name="thread_id" value="{thread.id}"' in form.text
    r = client.post(
        "/errata/report",
        data={
            "csrf_token": csrf,
            "course": world.course.slug,
            "assignment": world.assignment.slug,
            "title": "rnn_forward a_next differs from expected",
            "thread_id": str(thread.id),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert f'href="/threads/{thread.id}"' in page.text and "reported from here" in page.text


def test_moderation_queue_orders_by_affects_and_verifies_in_one_click(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    older = report(title="older with no marks")
    popular = report(title="popular one")
    service.toggle_affects(session=session, user=world.other_learner, erratum_id=popular.id)
    csrf = login_browser(client, world.instructor.username)
    page = client.get("/moderation")
    assert page.status_code == 200
    assert page.text.index("popular one") < page.text.index("older with no marks")
    r = client.post(
        f"/errata/{older.id}/transition",
        data={"csrf_token": csrf, "action": "verify", "next": "/moderation"},
        follow_redirects=False,
    )
    # The queue again, with the confirmation (and Undo) for this move (issue #19).
    assert r.status_code == 303 and r.headers["location"].startswith("/moderation?done=")
    session.expire_all()
    assert session.get(Erratum, older.id).status == S.verified  # type: ignore[union-attr]
    r = client.post(
        f"/errata/{popular.id}/transition",
        data={"csrf_token": csrf, "action": "reject", "reason": ""},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "Explain why" in r.text


def test_moderation_page_refuses_learners(client: TestClient, world: World) -> None:
    login_browser(client, world.learner.username)
    assert client.get("/moderation").status_code == 403


def test_affects_button_toggles(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report()
    csrf = login_browser(client, world.other_learner.username)
    assert "Affects me too" in client.get(f"/errata/{e.id}").text
    client.post(f"/errata/{e.id}/affects", data={"csrf_token": csrf})
    page = client.get(f"/errata/{e.id}")
    assert "Affects me (undo)" in page.text and "<strong>1</strong> affected" in page.text
    client.post(f"/errata/{e.id}/affects", data={"csrf_token": csrf})
    assert "<strong>0</strong> affected" in client.get(f"/errata/{e.id}").text


def test_banner_on_assignment_page_lists_verified_errata(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report(title="Known: rnn_forward expected output")
    report(title="Unverified gossip")
    r = client.get(f"/courses/{world.course.slug}/assignments/{world.assignment.slug}")
    assert "Known errata" not in r.text
    _move(session, world, e, S.verified)
    r = client.get(f"/courses/{world.course.slug}/assignments/{world.assignment.slug}")
    assert "Known errata" in r.text
    assert "Known: rnn_forward expected output" in r.text
    assert "Unverified gossip" not in r.text


def test_atom_feed_is_valid_and_escaped(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    e = report(title="a < b & c", description="<script>alert(1)</script> **bold**")
    report(title="still pending")
    _move(session, world, e, S.verified)
    r = client.get(f"/courses/{world.course.slug}/errata.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.find("a:id", ns) is not None and root.find("a:updated", ns) is not None
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1
    assert entries[0].findtext("a:title", namespaces=ns) == "[Verified] a < b & c"
    content = entries[0].findtext("a:content", namespaces=ns) or ""
    assert "<strong>bold</strong>" in content and "<script>" not in content
    assert "<script>" not in r.text


def test_export_round_trip_through_api_keeps_rows(
    client: TestClient, session: Session, world: World, report: Any, token_for: Any
) -> None:
    report()
    r = client.get(
        f"/api/v1/courses/{world.course.slug}/errata.jsonl", headers=token_for(world.moderator)
    )
    from app.importer import import_lines

    result = import_lines(r.text.splitlines())
    assert result.unchanged == 1 and result.created == 0
    assert len(session.exec(select(Erratum)).all()) == 1
