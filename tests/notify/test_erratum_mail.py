"""Verifying an erratum reaches the assignment's followers over real SMTP, each by their choice."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import Session, select

from core.db import get_engine
from core.mail import SmtpSender
from core.settings import Settings
from errata import service as errata_service
from errata.models import ErratumStatus, Notification
from errata.schemas import ErratumCreate
from notify.digest import run_digest
from notify.models import Delivery
from notify.worker import drain
from tests.notify.conftest import Place
from tests.notify.smtp_sink import SmtpSink
from users.models import User


def report(session: Session, place: Place, user: User, title: str, assignment: Any = None) -> Any:
    target = assignment or place.assignment
    return errata_service.report(
        session=session,
        user=user,
        data=ErratumCreate(
            course=place.course.slug, assignment=target.slug, title=title,
            location="rnn_forward", corrected_output="a_next[4] = [-0.99999375  0.77911235]",
        ),
    )  # fmt: skip


def verify(session: Session, place: Place, erratum_id: int) -> None:
    errata_service.transition(
        session=session, user=place.moderator, erratum_id=erratum_id,
        to_status=ErratumStatus.verified,
    )  # fmt: skip


def deliver(settings: Settings) -> None:
    sender = SmtpSender(settings.smtp_url)
    try:
        drain(get_engine(), settings, sender=sender)
    finally:
        sender.close()


def test_verify_mails_each_immediate_follower_once_and_no_one_else(
    session: Session, place: Place, follower: Any, make_user: Any, sink: SmtpSink,
    mail_settings: Settings,
) -> None:  # fmt: skip
    at_once = [follower(place.assignment) for _ in range(3)]
    in_app = follower(place.assignment, Delivery.in_app)
    no_address = follower(place.assignment, Delivery.immediate, email=False)
    daily = follower(place.assignment, Delivery.daily)
    elsewhere = follower(place.other_assignment)
    outsider = make_user("outsider")
    outsider.email = "outsider@example.org"
    session.add(outsider)
    session.commit()
    reporter = make_user("reporter")
    reporter.email = "reporter@example.org"
    session.add(reporter)
    session.commit()
    erratum = report(session, place, reporter, "rnn_forward expected output is wrong")

    verify(session, place, erratum.id)
    assert sink.messages == []  # the verify request queued one row and sent nothing
    deliver(mail_settings)

    got = Counter(m["To"] for m in sink.messages)
    # The reporter followed the assignment by reporting in it.
    assert got == Counter({u.email: 1 for u in [*at_once, reporter]}), got
    for absent in (in_app, daily, elsewhere, outsider, place.moderator):
        assert absent.email is None or absent.email not in got
    message = sink.to(at_once[0].email)[0]
    assert "Erratum verified" in message["Subject"]
    assert "rnn_forward expected output is wrong" in message.get_body(("plain",)).get_content()
    assert message.get_body(("html",)) is not None

    # Everyone following hears in-app, once (the reporter from errata's own notice).
    rows = select(Notification.user_id).where(Notification.erratum_id == erratum.id)
    notices = Counter(session.exec(rows).all())
    for user in [*at_once, in_app, no_address, daily, reporter]:
        assert notices[user.id] == 1, user.username
    assert notices[elsewhere.id] == 0 and notices[outsider.id] == 0

    # The daily digest brings the one waiting item to the digest user, once.
    assert run_digest(session, period=Delivery.daily) == 1
    assert run_digest(session, period=Delivery.daily) == 0
    deliver(mail_settings)
    digests = sink.to(daily.email)
    assert len(digests) == 1 and "daily Checkfirst digest" in digests[0]["Subject"]
    assert len(sink.messages) == 5


def test_digest_groups_updates_by_assignment(
    session: Session, place: Place, follower: Any, make_user: Any, sink: SmtpSink,
    mail_settings: Settings,
) -> None:  # fmt: skip
    reader = follower(place.course, Delivery.weekly)
    reporter = make_user("reporter")
    first = report(session, place, reporter, "rnn_forward a_next wrong")
    second = report(session, place, reporter, "rnn_backward gradient check fails")
    third = report(session, place, reporter, "lstm_cell_forward c_next off", place.other_assignment)
    for erratum in (first, third, second):
        verify(session, place, erratum.id)
    deliver(mail_settings)
    assert sink.messages == []  # weekly: nothing at once

    assert run_digest(session, period=Delivery.daily) == 0
    assert run_digest(session, period=Delivery.weekly) == 1
    deliver(mail_settings)
    [digest] = sink.to(reader.email)
    text = digest.get_body(("plain",)).get_content()
    assert "3 updates" in text
    rnn, lstm = text.index("== Building your RNN =="), text.index("== LSTM step by step ==")
    # Each assignment's errata under its own heading, in the order they happened.
    assert rnn < lstm  # first mention first (the RNN erratum was verified first)
    rnn_part, lstm_part = text[rnn:lstm], text[lstm:]
    assert "rnn_forward a_next wrong" in rnn_part and "rnn_backward gradient" in rnn_part
    assert "lstm_cell_forward" in lstm_part and "rnn_" not in lstm_part
