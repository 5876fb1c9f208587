"""Assistant tables: every ask (for the moderators' "found nothing" view), feedback, chats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _text() -> Column:  # type: ignore[type-arg]
    return Column(Text, nullable=False, default="")


# One row per ask: what was asked, what the parser made of it, what came back.
class AskLog(SQLModel, table=True):
    __tablename__ = "ask_log"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, ondelete="SET NULL"
    )
    conversation_id: int | None = Field(
        default=None, foreign_key="conversation.id", index=True, ondelete="SET NULL"
    )
    question: str = Field(default="", sa_column=_text())
    course: str | None = Field(default=None, max_length=80)
    assignment: str | None = Field(default=None, max_length=80)
    notebook_version: str | None = Field(default=None, max_length=20)
    # The lexical terms the parser found, one per line.
    terms: str = Field(default="", sa_column=_text())
    verdict: str = Field(default="no_match", max_length=40, index=True)
    top_score: float = 0.0
    # Cited sources as "erratum:12,thread:3,post:40", best first.
    source_ids: str = Field(default="", sa_column=_text())
    # SHA-256 of the secret returned with the ask: only whoever asked may rate the answer.
    feedback_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)


# Helpful / not helpful on one answer; a second vote on the same ask replaces the first.
class AskFeedback(SQLModel, table=True):
    __tablename__ = "ask_feedback"
    id: int | None = Field(default=None, primary_key=True)
    ask_id: int = Field(foreign_key="ask_log.id", unique=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    helpful: bool
    comment: str = Field(default="", sa_column=_text())
    created_at: datetime = Field(default_factory=utcnow)


# A chat keeps the learner's context (course, assignment, notebook version) across follow-ups.
class Conversation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # The owner: a user, or (anonymous) the SHA-256 of the browser's anonymous cookie.
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="CASCADE")
    anon_key: str | None = Field(default=None, max_length=64, index=True)
    course: str | None = Field(default=None, max_length=80)
    assignment: str | None = Field(default=None, max_length=80)
    notebook_version: str | None = Field(default=None, max_length=20)
    # The last substantive question with its traceback/output, re-asked on "still failing".
    last_question: str = Field(default="", sa_column=_text())
    last_traceback: str = Field(default="", sa_column=_text())
    last_output: str = Field(default="", sa_column=_text())
    last_expected: str = Field(default="", sa_column=_text())
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ChatMessage(SQLModel, table=True):
    __tablename__ = "chat_message"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)  # "user" or "assistant"
    content: str = Field(default="", sa_column=_text())
    ask_id: int | None = Field(default=None, foreign_key="ask_log.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
