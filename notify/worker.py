"""The mail worker: fan events out, write due digests, deliver due mail; and its status.

``run_once`` is one pass (``checkfirst mail run-once``); ``MailWorker`` repeats it in a
background thread of each app process, so no request waits on mail. Any number of processes
may run it at once: every step claims its work (see fanout, digest and delivery).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.mail import MailSender, sender_for
from core.settings import Settings
from notify.delivery import DeliveryStats, deliver_due
from notify.digest import run_due_digests
from notify.fanout import fan_out_pending
from notify.models import DigestItem, MailOutbox, MailStatus, NotifyEvent

log = logging.getLogger("checkfirst.mail")

# Extra scheduled work registered by the app (the instructors' weekly report).
Job = Callable[[Session, Settings, datetime], int]


@dataclass
class PassStats:
    events: int = 0
    digests: int = 0
    delivery: DeliveryStats = field(default_factory=DeliveryStats)

    @property
    def busy(self) -> bool:
        return bool(self.events or self.digests or self.delivery.claimed)


def run_once(
    engine: Engine,
    settings: Settings,
    *,
    sender: MailSender | None = None,
    now: datetime | None = None,
    jobs: tuple[Job, ...] = (),
    digests: bool = True,
) -> PassStats:
    """One pass; ``now`` may be moved forward by tests (retries and digests are due by it)."""
    moved = now
    now = now or utcnow()
    own_sender = sender is None
    sender = sender or sender_for(settings)
    stats = PassStats()
    try:
        with Session(engine, expire_on_commit=False) as session:
            stats.events = fan_out_pending(session, now=now)
            if digests:
                stats.digests = run_due_digests(session, settings, now=now)
                for job in jobs:
                    stats.digests += job(session, settings, now)
            # Mail fanned out just now is due too.
            stats.delivery = deliver_due(session, sender, settings, now=moved or utcnow())
    finally:
        if own_sender:
            sender.close()
    return stats


def drain(
    engine: Engine,
    settings: Settings,
    *,
    sender: MailSender | None = None,
    now: datetime | None = None,
    max_passes: int = 10_000,
) -> PassStats:
    """Passes until nothing is due (tests, ``run-once --drain`` and the benchmark)."""
    total = PassStats()
    for _ in range(max_passes):
        one = run_once(engine, settings, sender=sender, now=now, digests=False)
        total.events += one.events
        for name in ("claimed", "sent", "retried", "failed"):
            setattr(
                total.delivery, name, getattr(total.delivery, name) + getattr(one.delivery, name)
            )
        if not one.busy or one.delivery.retried:
            break
    return total


def status(session: Session) -> dict[str, Any]:
    """Counts for ``checkfirst mail status``: what waits, what went, what failed."""
    by_status = dict(
        session.exec(select(MailOutbox.status, func.count()).group_by(col(MailOutbox.status))).all()
    )
    oldest = session.exec(
        select(func.min(MailOutbox.created_at)).where(MailOutbox.status == MailStatus.pending)
    ).one()
    retrying = session.exec(
        select(func.count()).where(
            MailOutbox.status == MailStatus.pending, col(MailOutbox.attempts) > 0
        )
    ).one()
    last_error = session.exec(
        select(MailOutbox.last_error)
        .where(MailOutbox.last_error != "")
        .order_by(col(MailOutbox.id).desc())
        .limit(1)
    ).first()
    return {
        "events_waiting": session.exec(
            select(func.count()).where(col(NotifyEvent.fanned_out_at).is_(None))
        ).one(),
        "digest_items_waiting": session.exec(
            select(func.count()).where(col(DigestItem.outbox_id).is_(None))
        ).one(),
        "pending": by_status.get(MailStatus.pending, 0),
        "retrying": retrying,
        "sent": by_status.get(MailStatus.sent, 0),
        "failed": by_status.get(MailStatus.failed, 0),
        "oldest_pending": oldest,
        "last_error": last_error or "",
    }


class MailWorker:
    """``run_once`` in a daemon thread; a busy pass is followed at once by the next."""

    def __init__(
        self, engine_factory: Callable[[], Engine], settings: Settings, jobs: tuple[Job, ...] = ()
    ) -> None:
        self.engine_factory = engine_factory
        self.settings = settings
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="checkfirst-mail", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                stats = run_once(self.engine_factory(), self.settings, jobs=self.jobs)
                busy = stats.busy and not stats.delivery.retried
            except Exception:  # noqa: BLE001 — a bad pass must not end delivery for good
                log.exception("mail pass failed; retrying")
            if not busy:
                self._stop.wait(self.settings.mail_poll_seconds)
