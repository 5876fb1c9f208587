"""The outbox's delivery: claim due messages once, hand them to SMTP, record what happened.

Claiming: PostgreSQL takes due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (two workers never
wait on or take the same row) and stamps them with a claim token and a lease; SQLite (one writer
at a time) stamps them with a conditional ``UPDATE … WHERE`` still-due. A message is marked sent
in its own commit right after the server accepted it, so a restart resends nothing that was
recorded; a worker that dies holding a claim releases it when the lease runs out. The one window
left is a crash between the server's "250 OK" and that commit: the message then goes out again,
with the same Message-ID, which receivers use to drop duplicates.

Failures: a connection error or 4xx puts the message (and the rest of the batch) back with
exponential back-off and no limit, so an SMTP outage delays mail and loses none; a 5xx refusal
marks it failed, with the server's answer kept for the operator.
"""

from __future__ import annotations

import json
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from core.mail import Mail, MailSender, PermanentFailure, build_message
from core.settings import Settings
from notify.models import MailOutbox, MailStatus


@dataclass
class DeliveryStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return (
        (col(MailOutbox.status) == MailStatus.pending)
        & (col(MailOutbox.next_attempt_at) <= now)
        & or_(col(MailOutbox.lease_until).is_(None), col(MailOutbox.lease_until) < now)
    )


def claim_batch(
    session: Session, *, limit: int, now: datetime, lease_seconds: float
) -> tuple[str, list[MailOutbox]]:
    """Claim up to ``limit`` due messages for this worker; returns its claim token and them."""
    token = uuid.uuid4().hex
    lease = now + timedelta(seconds=lease_seconds)
    pick = select(MailOutbox.id).where(_due(now)).order_by(col(MailOutbox.id)).limit(limit)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        pick = pick.with_for_update(skip_locked=True)
    ids = list(session.exec(pick).all())
    if not ids:
        session.rollback()
        return token, []
    # On SQLite the condition is checked again by the UPDATE itself: a row another process
    # claimed since the SELECT no longer matches (PostgreSQL holds row locks already).
    session.execute(
        update(MailOutbox)
        .where(col(MailOutbox.id).in_(ids), _due(now))
        .values(claim_token=token, lease_until=lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    rows = session.exec(
        select(MailOutbox).where(MailOutbox.claim_token == token).order_by(col(MailOutbox.id))
    ).all()
    session.rollback()
    return token, list(rows)


def backoff(attempts: int, settings: Settings) -> float:
    """Seconds before attempt ``attempts + 1``: base, 2×base, 4×base … capped."""
    return float(
        min(
            settings.mail_retry_base_seconds * 2 ** max(attempts - 1, 0),
            settings.mail_retry_max_seconds,
        )
    )


def _finish(session: Session, row_id: int | None, token: str, **values: object) -> None:
    session.execute(
        update(MailOutbox)
        .where(col(MailOutbox.id) == row_id, col(MailOutbox.claim_token) == token)
        .values(claim_token=None, lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def message_for(row: MailOutbox, settings: Settings) -> Mail:
    host = urlsplit(settings.base_url).hostname or "checkfirst"
    return Mail(
        to=row.to_addr,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        headers=json.loads(row.headers or "{}"),
        message_id=f"<outbox-{row.id}@{host}>",
    )


def deliver_due(
    session: Session, sender: MailSender, settings: Settings, *, now: datetime
) -> DeliveryStats:
    """Claim one batch and send it; stops early (releasing the rest) when the server is down."""
    token, rows = claim_batch(
        session, limit=settings.mail_batch, now=now, lease_seconds=settings.mail_lease_seconds
    )
    stats = DeliveryStats(claimed=len(rows))
    started = time.monotonic()
    # Never send on a claim that may have lapsed: leave time for one slow hand-over.
    budget = settings.mail_lease_seconds - 2 * settings.smtp_timeout_seconds
    for i, row in enumerate(rows):
        if time.monotonic() - started > budget:
            _release(session, [r.id for r in rows[i:]], token, next_attempt_at=now)
            break
        message = build_message(message_for(row, settings), from_addr=settings.mail_from)
        try:
            sender.send(message)
        except PermanentFailure as exc:
            _finish(
                session, row.id, token, status=MailStatus.failed,
                attempts=row.attempts + 1, last_error=str(exc)[:500],
            )  # fmt: skip
            stats.failed += 1
        except (OSError, smtplib.SMTPException) as exc:
            retry_at = now + timedelta(seconds=backoff(row.attempts + 1, settings))
            _finish(
                session, row.id, token, attempts=row.attempts + 1, next_attempt_at=retry_at,
                last_error=f"{type(exc).__name__}: {exc}"[:500],
            )  # fmt: skip
            # The server is unreachable or busy: the rest of the batch waits as long.
            _release(session, [r.id for r in rows[i + 1 :]], token, next_attempt_at=retry_at)
            stats.retried += len(rows) - i
            break
        else:
            _finish(
                session, row.id, token, status=MailStatus.sent, sent_at=now,
                attempts=row.attempts + 1, last_error="",
            )  # fmt: skip
            stats.sent += 1
    return stats


def _release(
    session: Session, ids: list[int | None], token: str, *, next_attempt_at: datetime
) -> None:
    if not ids:
        return
    session.execute(
        update(MailOutbox)
        .where(col(MailOutbox.id).in_(ids), col(MailOutbox.claim_token) == token)
        .values(claim_token=None, lease_until=None, next_attempt_at=next_attempt_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()
