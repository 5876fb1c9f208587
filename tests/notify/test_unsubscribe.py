"""One-click unsubscribe from a real message; forged and expired links change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlmodel import Session

from core.clock import utcnow
from core.db import get_engine
from core.mail import SmtpSender
from core.settings import Settings
from notify import service as notify_service
from notify.models import Delivery, FollowKind
from notify.unsubscribe import make_token
from notify.worker import drain
from tests.notify.conftest import Place
from tests.notify.smtp_sink import SmtpSink
from tests.notify.test_delivery import queue_event


def send_one(session: Session, place: Place, settings: Settings) -> None:
    queue_event(session, place)
    sender = SmtpSender(settings.smtp_url)
    drain(get_engine(), settings, sender=sender)
    sender.close()


def test_one_click_unsubscribe_from_the_mail_headers(
    client: TestClient, session: Session, place: Place, follower: Any, sink: SmtpSink,
    mail_settings: Settings,
) -> None:  # fmt: skip
    user = follower(place.assignment)
    send_one(session, place, mail_settings)
    [message] = sink.to(user.email)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link in message.get_body(("plain",)).get_content()
    path = urlsplit(link).path + "?" + urlsplit(link).query

    # A link scanner's GET only shows the confirmation.
    page = client.get(path)
    assert page.status_code == 200 and "Stop these e-mails?" in page.text
    prefs = notify_service.preferences(session=session, user_id=user.id)
    assert prefs[FollowKind.assignment] == Delivery.immediate

    # The mail client's one-click POST: no cookie, no CSRF token, just the signed link.
    fresh = TestClient(client.app)
    done = fresh.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Unsubscribed" in done.text
    session.expire_all()
    prefs = notify_service.preferences(session=session, user_id=user.id)
    assert prefs[FollowKind.assignment] == Delivery.in_app
    assert notify_service.is_following(
        session=session, user_id=user.id, kind=FollowKind.assignment, target_id=place.assignment.id
    )  # still follows, in-app
    send_one(session, place, mail_settings)
    assert len(sink.to(user.email)) == 1  # no second mail


def test_forged_or_expired_link_changes_nothing_and_says_so(
    client: TestClient, session: Session, place: Place, follower: Any
) -> None:
    user = follower(place.assignment)
    good = make_token(user_id=user.id, kinds=(FollowKind.assignment,))
    payload, mac = good.split(".")
    other = make_token(user_id=user.id + 1, kinds=(FollowKind.assignment,))
    forged = [
        f"{other.split('.')[0]}.{mac}",  # someone else's id under this signature
        f"{payload}.{mac[:-2]}xx",
        "garbage",
        "",
    ]
    for token in forged:
        for method in (client.get, client.post):
            r = method(f"/unsubscribe?t={token}")
            assert r.status_code == 400, token
            assert "not valid" in r.text and "nothing was changed" in r.text
    old = make_token(
        user_id=user.id, kinds=(FollowKind.assignment,), issued_at=utcnow() - timedelta(days=91)
    )
    r = TestClient(client.app).post(f"/unsubscribe?t={old}")
    assert r.status_code == 410 and "expired" in r.text and "nothing was changed" in r.text
    prefs = notify_service.preferences(session=session, user_id=user.id)
    assert prefs[FollowKind.assignment] == Delivery.immediate
