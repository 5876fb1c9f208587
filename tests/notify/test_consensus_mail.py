"""Verifying a suspected erratum (issue #18) mails each learner who reported it once, over real
SMTP: "your code was right", never also the followers' "erratum verified" for the same change."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import Session, col, select

from core.settings import Settings
from errata import service as errata_service
from errata import suspects
from errata.models import Erratum, ErratumHistory, ErratumStatus, Notification
from tests.notify.conftest import Place
from tests.notify.smtp_sink import SmtpSink
from tests.notify.test_erratum_mail import deliver

PUBLISHED = "c_next[2] = [ 0.63267805  0.85487948]"
CONSENSUS = "c_next[2] = [ 0.32323997  0.85487948]"


def suspected_erratum(session: Session, place: Place, reporters: list[Any]) -> Erratum:
    """A suspected erratum as ``assistant.consensus`` files it, reported by these learners."""
    system = suspects.consensus_user(session)
    erratum = Erratum(
        course_id=place.course.id, assignment_id=place.assignment.id,
        title="Expected output of lstm_cell_forward_test may be wrong",
        location="lstm_cell_forward_test", published_output=PUBLISHED,
        affected_versions="4", reporter_id=system.id,
    )  # fmt: skip
    session.add(erratum)
    session.flush()
    session.add(
        ErratumHistory(erratum_id=erratum.id, actor_id=system.id, to_status=ErratumStatus.reported)
    )
    suspect = suspects.SuspectedErratum(
        erratum_id=erratum.id, cluster_id=1, course_id=place.course.id,
        assignment_id=place.assignment.id, notebook_version="4",
        location="lstm_cell_forward_test", proposed_output=CONSENSUS,
        published_output=PUBLISHED, learners=len(reporters), weight=len(reporters), share=1.0,
    )  # fmt: skip
    session.add(suspect)
    session.flush()
    assert suspect.id is not None
    suspects.set_learners(
        session=session, suspect_id=suspect.id, user_ids=[u.id for u in reporters]
    )
    session.commit()
    return erratum


def test_verifying_a_suspected_erratum_mails_a_following_reporter_once(
    session: Session, place: Place, follower: Any, make_user: Any, sink: SmtpSink,
    mail_settings: Settings,
) -> None:  # fmt: skip
    following_reporter = follower(place.assignment)
    other_reporter = make_user("quiet_reporter")
    other_reporter.email = "quiet_reporter@example.org"
    session.add(other_reporter)
    session.commit()
    fans = [follower(place.assignment) for _ in range(2)]
    erratum = suspected_erratum(session, place, [following_reporter, other_reporter])

    errata_service.transition(
        session=session, user=place.moderator, erratum_id=erratum.id,
        to_status=ErratumStatus.verified,
    )  # fmt: skip
    deliver(mail_settings)

    got = Counter(m["To"] for m in sink.messages)
    expected = {u.email: 1 for u in [following_reporter, other_reporter, *fans]}
    assert got == Counter(expected), got
    # The reporters hear "your code was right"; the other followers the ordinary notice.
    assert "Your code was right" in sink.to(following_reporter.email)[0]["Subject"]
    assert "Your code was right" in sink.to(other_reporter.email)[0]["Subject"]
    assert "Erratum verified" in sink.to(fans[0].email)[0]["Subject"]
    # In the app, too, each reporter has one notice of the verification.
    session.expire_all()
    kinds = session.exec(
        select(Notification.user_id, Notification.kind).where(
            col(Notification.erratum_id) == erratum.id
        )
    ).all()
    assert Counter(uid for uid, _ in kinds) == Counter(
        {u.id: 1 for u in [following_reporter, other_reporter, *fans]}
    ), kinds
    assert {k for uid, k in kinds if uid == following_reporter.id} == {"consensus_verified"}
