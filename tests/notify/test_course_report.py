"""Instructors' weekly report over real SMTP: unconfirmed reports by "affects me", then the
groups of asks the assistant found nothing for; one per instructor a week, none to learners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.mail import JOBS
from assistant.models import AskLog
from core.clock import utcnow
from core.db import get_engine
from core.mail import SmtpSender
from core.settings import Settings
from errata.models import Erratum, ErratumStatus
from forum.models import Course
from notify.digest import next_weekly
from notify.worker import run_once
from tests.notify.conftest import Place
from tests.notify.smtp_sink import SmtpSink
from users.models import CourseRole

NO_MATCH = [
    "attention mask shape mismatch in scaled_dot_product_attention",
    "scaled_dot_product_attention mask shape mismatch error",
    "attention mask has the wrong shape in scaled_dot_product_attention",
]


def _with_email(session: Session, user: Any) -> Any:
    user.email = f"{user.username}@example.org"
    session.add(user)
    session.commit()
    return user


def test_weekly_report_lists_reports_by_affects_then_no_match_groups_instructor_only(
    session: Session, place: Place, make_user: Callable[..., Any], sink: SmtpSink,
    mail_settings: Settings,
) -> None:  # fmt: skip
    instructor = _with_email(session, place.instructor)
    learner = _with_email(session, make_user("learner_x"))
    session.add(CourseRole(user_id=learner.id, course_id=place.course.id, role="learner"))
    other = Course(slug="other-course", title="Other Course")
    session.add(other)
    session.commit()
    # (title, status, affects, course): only this course's unconfirmed reports are listed.
    for title, status, affects, course_id in [
        ("rnn_forward a_next off by a sign", ErratumStatus.reported, 2, place.course.id),
        ("lstm_backward dc_prev wrong", ErratumStatus.reported, 9, place.course.id),
        ("gru test seed differs", ErratumStatus.reported, 0, place.course.id),
        ("already verified erratum", ErratumStatus.verified, 50, place.course.id),
        ("another course's report", ErratumStatus.reported, 40, other.id),
    ]:
        session.add(Erratum(course_id=course_id, title=title, status=status,
                            affects_count=affects, reporter_id=learner.id))  # fmt: skip
    for question in NO_MATCH:
        session.add(AskLog(question=question, course=place.course.slug, verdict="no_match"))
    session.add(AskLog(question="beam search in other course", course=other.slug))
    session.commit()

    sender = SmtpSender(mail_settings.smtp_url)
    start = utcnow()
    due = next_weekly(start, mail_settings) + timedelta(seconds=1)
    try:
        # The first pass only schedules the weekly job; it runs once when due, not twice.
        for now in (start, due, due):
            run_once(get_engine(), mail_settings, sender=sender, now=now, jobs=JOBS)
    finally:
        sender.close()

    assert [m["To"] for m in sink.messages] == [instructor.email]
    text = sink.messages[0].get_body(("plain",)).get_content()
    order = [text.index(t) for t in ("lstm_backward", "rnn_forward", "gru test seed")]
    assert order == sorted(order), text  # most "affects me" first
    assert "[9 affected] lstm_backward dc_prev wrong" in text
    assert "already verified" not in text and "another course" not in text
    assert "3 × " in text and "scaled_dot_product_attention" in text  # one group of three
    assert "beam search" not in text
    assert "3 unconfirmed, 1 unanswered groups" in sink.messages[0]["Subject"]
