"""Mail wiring: in-app notices go to the notification inbox, the instructors' weekly report,
and the delivery thread each app process runs (notify/ does the rest, below every domain)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from core import db
from core.clock import utcnow
from core.settings import Settings
from errata.models import Erratum, ErratumStatus, Notification
from forum.models import Course
from notify import mailtext
from notify import service as notify_service
from notify.digest import claim_job, next_weekly
from notify.models import Delivery, FollowKind, MailOutbox
from notify.worker import Job, MailWorker
from users.models import CourseRole, User

REPORT_ERRATA = 20
REPORT_CLUSTERS = 10


def write_notices(session: Session, notices: Sequence[notify_service.Notice]) -> None:
    """notify's in-app notices are rows of the one inbox (errata's ``notification`` table)."""
    now = utcnow()
    # An erratum deleted since the event was queued: its notices stay, unlinked.
    wanted = {e for e in (_erratum_id(n.url) for n in notices) if e is not None}
    existing = set(session.exec(select(Erratum.id).where(col(Erratum.id).in_(wanted))).all())
    rows = [
        {
            "user_id": n.user_id,
            "erratum_id": e if (e := _erratum_id(n.url)) in existing else None,
            "kind": n.kind[:40],
            "message": n.message[:500],
            "url": n.url[:300],
            "created_at": now,
        }
        for n in notices
    ]
    for start in range(0, len(rows), 2000):
        session.execute(insert(Notification), rows[start : start + 2000])


def _erratum_id(url: str) -> int | None:
    # Lets the inbox show an erratum's notices beside the domain's own (and cascade deletes).
    head, _, rest = url.partition("/errata/")
    return int(rest) if not head and rest.isdigit() else None


def queue_mail(
    session: Session, *, user: User, subject: str, text: str, html: str, kind: str
) -> None:
    """One transactional message to one user (a password reset): no unsubscribe link."""
    now = utcnow()
    session.add(
        MailOutbox(
            user_id=user.id, to_addr=user.email or "", subject=subject[:300], body_text=text,
            body_html=html, kind=kind[:40], next_attempt_at=now, created_at=now,
        )
    )  # fmt: skip
    session.commit()


def wire() -> None:
    from users import reset

    notify_service.set_in_app_writer(write_notices)
    reset.set_mail_queue(queue_mail)


def _no_match_groups(session: Session, course_ids: list[int]) -> list[Any]:
    # The assistant's public clustering (moved to assistant.clusters by its refactor).
    try:
        from assistant.clusters import group_asks, no_match_asks
    except ImportError:  # before that refactor lands
        from assistant.service import group_asks, no_match_asks  # type: ignore[attr-defined,no-redef]
    asks = no_match_asks(session, course_ids=course_ids, limit=200)
    return list(group_asks(asks))[:REPORT_CLUSTERS] if asks else []


def course_reports(session: Session, settings: Settings, now: datetime) -> int:
    """Weekly, to each instructor with an address: unconfirmed reports by "affects me" and
    clusters of asks that found nothing, for the courses they teach."""
    if not claim_job(
        session, name="course_reports", schedule=next_weekly, settings=settings, now=now
    ):
        return 0
    return send_course_reports(session, settings)


def send_course_reports(session: Session, settings: Settings) -> int:
    teaching: dict[int, list[int]] = {}
    for role in session.exec(select(CourseRole).where(CourseRole.role == "instructor")).all():
        teaching.setdefault(role.user_id, []).append(role.course_id)
    written = 0
    for user_id, course_ids in sorted(teaching.items()):
        user = session.get(User, user_id)
        if user is None or not user.email or not user.is_active:
            continue
        chosen = notify_service.preferences(session=session, user_id=user_id)
        if chosen[FollowKind.course_reports] == Delivery.in_app:
            continue
        reports = session.exec(
            select(Erratum)
            .where(col(Erratum.course_id).in_(course_ids), Erratum.status == ErratumStatus.reported)
            .order_by(col(Erratum.affects_count).desc(), col(Erratum.id))
            .limit(REPORT_ERRATA)
        ).all()
        clusters = _no_match_groups(session, course_ids)
        courses = session.exec(select(Course.title).where(col(Course.id).in_(course_ids))).all()
        context = mailtext.common_context(user_id=user_id, kinds=(FollowKind.course_reports,))
        text, html = mailtext.render(
            "course_report",
            name=user.name,
            courses=list(courses),
            reports=reports,
            clusters=clusters,
            **context,
        )
        row = mailtext.outbox_row(
            user_id=user_id,
            to_addr=user.email,
            subject=f"Weekly report: {len(reports)} unconfirmed, {len(clusters)} unanswered groups",
            text=text,
            html=html,
            unsubscribe_url=context["unsubscribe_url"],
            kind="course_report",
        )
        session.execute(insert(MailOutbox), [row])
        session.commit()
        written += 1
    return written


JOBS: tuple[Job, ...] = (course_reports,)


def start_worker(settings: Settings) -> MailWorker | None:
    """The delivery thread of this process (CHECKFIRST_MAIL_WORKER=false: none)."""
    wire()
    if not settings.mail_worker:
        return None
    worker = MailWorker(db.get_engine, settings, jobs=JOBS)
    worker.start()
    return worker
