"""Errata in the forum as a person sees it: badges on tied threads, the note on the thread a
report came from, and recent verified errata on the home page (issue #19)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from errata import service as errata_service
from errata.models import Erratum, ErratumStatus
from errata.schemas import ErratumCreate
from forum import service as forum_service
from forum.models import Thread
from tests.forum.conftest import World


def _thread(session: Session, world: World, title: str) -> Thread:
    return forum_service.create_thread(
        session=session, user=world.users["alice"], course=world.course,
        assignment=world.a1, title=title, body="My rnn_forward output differs from the notebook.",
    )  # fmt: skip


def _report(session: Session, world: World, title: str, thread: Thread | None = None) -> Erratum:
    data = ErratumCreate(
        course="dl", assignment="a1", title=title, description="The expected output is wrong.",
        source_thread_id=thread.id if thread else None,
    )  # fmt: skip
    return errata_service.report(session=session, user=world.users["bob"], data=data)


def _verify(session: Session, world: World, erratum: Erratum) -> None:
    errata_service.transition(
        session=session, user=world.users["mod"], erratum_id=erratum.id or 0,
        to_status=ErratumStatus.verified,
    )  # fmt: skip


def _row(html: str, title: str) -> str:
    """The thread-list row holding ``title``."""
    rows = re.findall(r'<li class="thread-row">.*?</li>', html, flags=re.S)
    return next(r for r in rows if title in r)


def test_thread_lists_show_erratum_badges(
    client: TestClient, session: Session, world: World
) -> None:
    source = _thread(session, world, "Expected a_next looks wrong")
    linked = _thread(session, world, "Same a_next problem here")
    plain = _thread(session, world, "How do I start the notebook?")
    erratum = _report(session, world, "a_next expected output wrong", source)
    errata_service.link_thread(
        session=session,
        user=world.users["mod"],
        erratum_id=erratum.id or 0,
        thread_id=linked.id or 0,
    )
    html = client.get("/courses/dl").text
    assert "erratum reported" in _row(html, "Expected a_next looks wrong")
    assert f'href="/errata/{erratum.id}"' in _row(html, "Same a_next problem here")
    assert "erratum" not in _row(html, "How do I start the notebook?").replace("/errata", "")

    _verify(session, world, erratum)
    html = client.get("/courses/dl/assignments/a1").text
    assert "verified erratum" in _row(html, "Expected a_next looks wrong")
    assert "verified erratum" in _row(html, "Same a_next problem here")
    assert plain.title in html

    page = client.get(f"/threads/{linked.id}").text
    assert "verified erratum" in page and "Reported as" not in page


def test_source_thread_notes_its_report(client: TestClient, session: Session, world: World) -> None:
    source = _thread(session, world, "Expected a_next looks wrong")
    erratum = _report(session, world, "a_next expected output wrong", source)
    _verify(session, world, erratum)
    page = client.get(f"/threads/{source.id}").text
    text = re.sub(r"<[^>]+>", "", page)
    assert f"Reported as erratum #{erratum.id} — verified" in text
    assert f'<a href="/errata/{erratum.id}">erratum #{erratum.id}</a>' in page


def test_home_lists_recent_verified_errata(
    client: TestClient, session: Session, world: World
) -> None:
    made: list[Erratum] = []
    for i in range(7):
        e = _report(session, world, f"Verified erratum number {i}")
        made.append(e)
    pending = _report(session, world, "Still only reported")
    for e in made:
        _verify(session, world, e)
    html = client.get("/").text
    assert "Recently verified errata" in html
    section = html.split("Recently verified errata", 1)[1].split("</section>", 1)[0]
    shown = re.findall(r"Verified erratum number (\d)", section)
    assert shown == ["6", "5", "4", "3", "2"]  # newest first, five at most
    assert pending.title not in section
    assert "Deep Learning" in section and "Logistic regression" in section


def test_home_without_verified_errata_has_no_section(
    client: TestClient, session: Session, world: World
) -> None:
    _report(session, world, "Only reported")
    assert "Recently verified errata" not in client.get("/").text
