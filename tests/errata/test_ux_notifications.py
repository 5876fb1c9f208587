"""Issue #19: opening a notification marks it read (then goes where it points); in Chromium at
1280 and 390 px the header's unread count drops after the click."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from errata import service
from errata.models import ErratumStatus, Notification
from tests.browser_demo import chromium, sign_in
from tests.conftest import login_browser
from tests.errata.conftest import World


def _notified(session: Session, world: World, report: Any) -> tuple[int, int]:
    e = report()  # the learner reported it, so the learner hears of the verification
    service.transition(
        session=session, user=world.moderator, erratum_id=e.id, to_status=ErratumStatus.verified
    )
    row = session.query(Notification).filter(Notification.user_id == world.learner.id).one()
    assert row.id is not None and row.read_at is None
    return e.id, row.id


def test_opening_a_notification_marks_it_read(
    client: TestClient, session: Session, world: World, report: Any
) -> None:
    eid, nid = _notified(session, world, report)
    login_browser(client, "learner_a")
    page = client.get("/notifications").text
    assert f'href="/notifications/{nid}/open"' in page
    r = client.get(f"/notifications/{nid}/open", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/errata/{eid}"
    session.expire_all()
    assert session.get(Notification, nid).read_at is not None  # type: ignore[union-attr]
    # Someone else's notification is not theirs to open.
    client.cookies.clear()
    login_browser(client, "learner_b")
    assert client.get(f"/notifications/{nid}/open", follow_redirects=False).status_code == 404


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["1280", "390"])
def test_click_marks_read_in_chromium(
    live_server: Any, session: Session, world: World, report: Any, size: tuple[int, int]
) -> None:
    eid, _ = _notified(session, world, report)
    base = live_server.url
    with chromium() as browser:
        page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
        sign_in(page, base, "learner_a", password="correct horse 1")
        assert page.locator(".notif .badge-count").inner_text() == "1"
        page.goto(base + "/notifications")
        page.click("ul.notifications a")
        page.wait_for_url(f"{base}/errata/{eid}")
        assert page.locator(".notif .badge-count").count() == 0
        page.goto(base + "/notifications")
        assert page.locator("ul.notifications li.read").count() == 1
        assert page.locator("text=new").count() == 0
