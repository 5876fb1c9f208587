"""Subscriptions, delivery preferences, the event queue, digest items and the mail outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class FollowKind(StrEnum):
    course = "course"
    assignment = "assignment"
    # Thread follows are forum's ThreadFollow rows; the kind exists here for its preference.
    thread = "thread"
    # Not followed: an instructor's weekly report on their courses (app/instructor_digest.py).
    course_reports = "course_reports"


class Delivery(StrEnum):
    in_app = "in_app"
    immediate = "immediate"
    daily = "daily"
    weekly = "weekly"


class MailStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    # Refused for good by the server (5xx); kept with its error for the operator.
    failed = "failed"


def _text() -> Column:  # type: ignore[type-arg]
    return Column(Text, nullable=False, default="")


# A learner follows a course or an assignment (threads: forum's thread_follow).
class Subscription(SQLModel, table=True):
    __tablename__ = "subscription"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "target_id"),
        Index("ix_subscription_target", "kind", "target_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    kind: FollowKind
    target_id: int
    created_at: datetime = Field(default_factory=utcnow)


# How a user hears about each kind of thing they follow; no row means the kind's default.
class DeliveryPreference(SQLModel, table=True):
    __tablename__ = "delivery_preference"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    kind: FollowKind = Field(primary_key=True)
    delivery: Delivery


# Something followers hear about, written in the transaction of the change itself (so the
# moderator's request never waits on fan-out) and expanded later by the worker, exactly once.
class NotifyEvent(SQLModel, table=True):
    __tablename__ = "notify_event"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # e.g. erratum_verified, reply, accepted, endorsed
    subject_kind: FollowKind
    subject_id: int
    # Followers of this course hear too (an assignment's course).
    course_id: int | None = None
    # What digests group under: the assignment's or thread's title.
    group_title: str = Field(default="", max_length=300)
    title: str = Field(max_length=300)
    message: str = Field(max_length=500)
    url: str = Field(max_length=300)
    # Longer text for the mail body (a correction, a reply's first lines).
    detail: str = Field(default="", sa_column=_text())
    actor_id: int | None = None
    # Comma-separated user ids: explicit recipients (threads) instead of subscriptions.
    recipients: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Comma-separated user ids already told in-app by the domain itself.
    skip_in_app: str = Field(default="", sa_column=_text())
    # Comma-separated user ids who hear of the same change by a more specific event (a suspected
    # erratum's reporters): this one gives them nothing, neither in-app nor mail.
    exclude: str = Field(
        default="", sa_column=Column(Text, nullable=False, default="", server_default="")
    )
    created_at: datetime = Field(default_factory=utcnow)
    fanned_out_at: datetime | None = Field(default=None, index=True)


# One event waiting for a user's daily or weekly digest.
class DigestItem(SQLModel, table=True):
    __tablename__ = "digest_item"
    __table_args__ = (Index("ix_digest_item_pending", "period", "outbox_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    period: Delivery
    event_id: int = Field(foreign_key="notify_event.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    # Set when a digest takes the item: the claim and the digest message are one transaction.
    outbox_id: int | None = Field(default=None, foreign_key="mail_outbox.id", ondelete="SET NULL")


# One message to send. Claimed by one worker at a time (a lease); sent once.
class MailOutbox(SQLModel, table=True):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    to_addr: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body_text: str = Field(default="", sa_column=_text())
    body_html: str = Field(default="", sa_column=_text())
    # JSON object of extra headers (List-Unsubscribe, List-Unsubscribe-Post).
    headers: str = Field(default="{}", sa_column=_text())
    kind: str = Field(default="", max_length=40)
    # The event this message tells of (none for digests and account mail), so that undoing the
    # change can withdraw what is not sent yet. No foreign key: events are kept, not deleted.
    event_id: int | None = Field(default=None, index=True)
    status: MailStatus = MailStatus.pending
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    # Who holds the claim, until when; another worker may take it only after the lease.
    claim_token: str | None = Field(default=None, max_length=40, index=True)
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


# A scheduled job (daily and weekly digests): claimed by moving next_run_at forward.
class NotifyJob(SQLModel, table=True):
    __tablename__ = "notify_job"
    name: str = Field(primary_key=True, max_length=40)
    next_run_at: datetime
    last_run_at: datetime | None = None
