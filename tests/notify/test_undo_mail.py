"""Undoing a verification (a mis-click) takes back what it told and nobody has read or been sent
yet: queued events, outbox messages, digest items and unread in-app notices. Real SMTP."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from core.settings import Settings
from errata import service as errata_service
from errata import undo
from errata.models import ErratumStatus, Notification
from notify.fanout import fan_out_pending
from notify.models import Delivery, DigestItem, MailOutbox, MailStatus
from tests.notify.conftest import Place
from tests.notify.smtp_sink import SmtpSink
from tests.notify.test_consensus_mail import suspected_erratum
from tests.notify.test_erratum_mail import deliver, report, verify


def undo_last(session: Session, place: Place, erratum_id: int) -> None:
    history_id = undo.latest_move_id(session=session, erratum_id=erratum_id)
    assert history_id is not None
    undo.undo(session=session, user=place.moderator, erratum_id=erratum_id, history_id=history_id)


def count(session: Session, model: Any, *where: Any) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def test_undo_before_the_worker_ran_sends_nothing(
    session: Session, place: Place, follower: Any, make_user: Any, sink: SmtpSink,
    mail_settings: Settings,
) -> None:  # fmt: skip
    follower(place.assignment)
    reporter = follower(place.assignment)
    erratum = report(session, place, reporter, "rnn_forward expected output is wrong")
    verify(session, place, erratum.id)
    assert count(session, Notification, col(Notification.erratum_id) == erratum.id) == 1

    undo_last(session, place, erratum.id)
    deliver(mail_settings)

    assert sink.messages == []
    # The reporter's unread "verified" notice went with it.
    assert count(session, Notification, col(Notification.erratum_id) == erratum.id) == 0


def test_undo_after_fan_out_withdraws_unsent_mail_and_digest_items(
    session: Session, place: Place, follower: Any, make_user: Any, sink: SmtpSink,
    mail_settings: Settings,
) -> None:  # fmt: skip
    for _ in range(2):
        follower(place.assignment)
    daily = follower(place.assignment, Delivery.daily)
    reporter = make_user("reporter")
    erratum = report(session, place, reporter, "rnn_forward expected output is wrong")
    # An earlier, delivered notice of the same assignment is not touched.
    earlier = report(session, place, reporter, "lstm expected output is wrong")
    verify(session, place, earlier.id)
    deliver(mail_settings)
    sent_before = len(sink.messages)
    assert sent_before == 2  # the two immediate followers

    verify(session, place, erratum.id)
    fan_out_pending(session)  # the worker fanned out but has not delivered yet
    assert count(session, MailOutbox, col(MailOutbox.status) == MailStatus.pending) == 2
    assert count(session, DigestItem, col(DigestItem.outbox_id).is_(None)) == 2

    undo_last(session, place, erratum.id)
    deliver(mail_settings)

    assert len(sink.messages) == sent_before
    assert count(session, MailOutbox, col(MailOutbox.status) == MailStatus.pending) == 0
    # The daily digest keeps the earlier erratum only.
    assert count(session, DigestItem, col(DigestItem.user_id) == daily.id) == 1


def test_undone_verification_of_a_suspected_erratum_lets_a_rejection_reach_its_reporters(
    session: Session, place: Place, follower: Any, make_user: Any, sink: SmtpSink,
    mail_settings: Settings,
) -> None:  # fmt: skip
    reporter = follower(place.assignment)
    erratum = suspected_erratum(session, place, [reporter])
    verify(session, place, erratum.id)
    undo_last(session, place, erratum.id)
    errata_service.transition(
        session=session, user=place.moderator, erratum_id=erratum.id,
        to_status=ErratumStatus.rejected, reason="The notebook's output is right for seed 1.",
    )  # fmt: skip
    deliver(mail_settings)

    subjects = [m["Subject"] for m in sink.to(reporter.email)]
    assert len(subjects) == 1 and "stands" in subjects[0], subjects
    session.expire_all()
    kinds = session.exec(
        select(Notification.kind).where(col(Notification.user_id) == reporter.id)
    ).all()
    assert kinds == ["consensus_rejected"]
