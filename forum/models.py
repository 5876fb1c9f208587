"""Forum tables and their API shapes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, Text, UniqueConstraint, false, true
from sqlmodel import Field, SQLModel

from core.clock import utcnow


# Columns
class Course(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=80)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    # Learners may post anonymously to classmates (staff always see who wrote).
    allow_anonymous: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )


class Assignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("course_id", "slug"),)
    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=80)
    title: str = Field(max_length=200)
    # The notebook version learners currently get, e.g. "3" or "3a".
    notebook_version: str = Field(default="1", max_length=20)
    position: int = 0


class Thread(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    author_id: int = Field(foreign_key="user.id", index=True)
    title: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    last_activity_at: datetime = Field(default_factory=utcnow, index=True)
    pinned: bool = False
    locked: bool = False
    # Soft delete: the row stays for history, pages and search hide it.
    deleted_at: datetime | None = None
    accepted_post_id: int | None = None
    reply_count: int = 0
    # Votes on the question post, copied here so lists sort by votes cheaply.
    score: int = 0
    # Set by imports; a re-import updates the same thread.
    external_id: str | None = Field(default=None, unique=True, max_length=200)
    # Visible only to its author and the course's staff.
    is_private: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, server_default=false(), index=True),
    )
    # The question was posted anonymously to classmates (mirrors the question post's flag).
    is_anonymous: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # Secret from which this thread's anonymous aliases are derived; never shown.
    alias_salt: str | None = Field(default=None, max_length=64)
    # Closed as a duplicate of this (canonical) thread, by whom and when.
    duplicate_of_id: int | None = Field(
        default=None, foreign_key="thread.id", index=True, ondelete="SET NULL"
    )
    duplicate_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    duplicate_at: datetime | None = None


class Post(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="user.id", index=True)
    # The question is the thread's first post; replies are the rest.
    is_question: bool = False
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None
    edited_by_id: int | None = Field(default=None, foreign_key="user.id")
    deleted_at: datetime | None = None
    score: int = 0
    endorsed_by_id: int | None = Field(default=None, foreign_key="user.id")
    endorsed_at: datetime | None = None
    external_id: str | None = Field(default=None, unique=True, max_length=200)
    # Shown to classmates under the thread's alias; staff and the author see who wrote it.
    is_anonymous: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class Vote(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "post_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    post_id: int = Field(foreign_key="post.id", index=True, ondelete="CASCADE")
    value: int  # +1 or -1
    created_at: datetime = Field(default_factory=utcnow)


class ThreadFollow(SQLModel, table=True):
    __tablename__ = "thread_follow"
    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    thread_id: int = Field(foreign_key="thread.id", index=True, ondelete="CASCADE")
