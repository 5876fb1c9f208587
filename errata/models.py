"""Errata tables: the erratum, its history, "affects me too" marks and linked threads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class ErratumStatus(StrEnum):
    reported = "reported"
    verified = "verified"
    # Not an erratum: the resolution note explains why, and learners see it.
    rejected = "rejected"
    duplicate = "duplicate"
    fixed = "fixed"


class ErratumKind(StrEnum):
    wrong_expected_output = "wrong_expected_output"
    wrong_test = "wrong_test"
    instructions = "instructions"
    grader_mismatch = "grader_mismatch"
    environment = "environment"


def _text(default: str = "") -> Column:  # type: ignore[type-arg]
    return Column(Text, nullable=False, default=default)


# Columns
class Erratum(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=_text())
    # Where in the notebook: a cell, function or test name, e.g. "rnn_forward".
    location: str = Field(default="", max_length=200)
    kind: ErratumKind = ErratumKind.wrong_expected_output
    # Notebook versions the erratum affects, comma-separated, e.g. "2,3,3a"; empty = all.
    affected_versions: str = Field(default="", max_length=200)
    published_output: str = Field(default="", sa_column=_text())
    corrected_output: str = Field(default="", sa_column=_text())
    workaround: str = Field(default="", sa_column=_text())
    status: ErratumStatus = Field(default=ErratumStatus.reported, index=True)
    # Why it was rejected, marked duplicate or fixed; shown to learners.
    resolution_note: str = Field(default="", sa_column=_text())
    duplicate_of_id: int | None = Field(default=None, foreign_key="erratum.id")
    fixed_in: str | None = Field(default=None, max_length=20)
    reporter_id: int = Field(foreign_key="user.id", index=True)
    verifier_id: int | None = Field(default=None, foreign_key="user.id")
    # The thread or reply it was reported from, if any.
    source_thread_id: int | None = Field(default=None, foreign_key="thread.id")
    source_post_id: int | None = Field(default=None, foreign_key="post.id")
    affects_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    external_id: str | None = Field(default=None, unique=True, max_length=200)


# One row per status change: who, when, from, to, why.
class ErratumHistory(SQLModel, table=True):
    __tablename__ = "erratum_history"
    id: int | None = Field(default=None, primary_key=True)
    erratum_id: int = Field(foreign_key="erratum.id", index=True, ondelete="CASCADE")
    actor_id: int = Field(foreign_key="user.id")
    from_status: ErratumStatus | None = None
    to_status: ErratumStatus
    reason: str = Field(default="", sa_column=_text())
    created_at: datetime = Field(default_factory=utcnow)


# "Affects me too": one per user and erratum; the count orders the moderator queue.
class ErratumAffect(SQLModel, table=True):
    __tablename__ = "erratum_affect"
    __table_args__ = (UniqueConstraint("user_id", "erratum_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    erratum_id: int = Field(foreign_key="erratum.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


# Threads that discuss an erratum (besides the one it was reported from).
class ErratumLink(SQLModel, table=True):
    __tablename__ = "erratum_link"
    __table_args__ = (UniqueConstraint("erratum_id", "thread_id"),)
    id: int | None = Field(default=None, primary_key=True)
    erratum_id: int = Field(foreign_key="erratum.id", index=True, ondelete="CASCADE")
    thread_id: int = Field(foreign_key="thread.id", index=True, ondelete="CASCADE")


# An in-app notice: the reporter, "affects me" users and followers of linked threads learn of
# an erratum's verification, rejection or fix.
class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    erratum_id: int | None = Field(
        default=None, foreign_key="erratum.id", index=True, ondelete="CASCADE"
    )
    kind: str = Field(max_length=40)  # e.g. "erratum_verified"
    message: str = Field(max_length=500)
    url: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None
