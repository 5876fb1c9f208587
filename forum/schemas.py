"""API shapes of the forum: strict inputs (unknown fields are ignored) and public outputs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from users.models import Role


class ThreadSort(StrEnum):
    newest = "newest"
    activity = "activity"
    votes = "votes"
    unanswered = "unanswered"


# Inputs: only these fields are read; anything else a client sends (author_id, score, pinned,
# role, status ...) is dropped before it reaches a service (ACCEPTANCE A3).
class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore")


# A new thread: the title and the question's Markdown body; the course comes from the URL.
class ThreadCreate(_Input):
    title: str = Field(max_length=1000)
    body: str = Field(max_length=1_000_000)
    # The assignment's slug within the course; none for a course-wide question.
    assignment: str | None = Field(default=None, max_length=80)
    # Shown to classmates as "Anonymous learner" (staff still see who), if the course allows.
    anonymous: bool = False
    # Visible only to the asker and the course's staff.
    private: bool = False


# Editing a thread: the title, the question's body, or both.
class ThreadUpdate(_Input):
    title: str | None = Field(default=None, max_length=1000)
    body: str | None = Field(default=None, max_length=1_000_000)


class PostCreate(_Input):
    body: str = Field(max_length=1_000_000)
    anonymous: bool = False


# A course's settings, changed by its staff.
class CourseSettings(_Input):
    allow_anonymous: bool


# Close a thread as a duplicate of the canonical thread ``duplicate_of`` (an id).
class DuplicateBody(_Input):
    duplicate_of: int = Field(ge=1, le=2**31 - 1)


# Open a private thread to the class, optionally hiding the asker from classmates.
class MakePublicBody(_Input):
    anonymous: bool = False


class PostUpdate(_Input):
    body: str = Field(max_length=1_000_000)


class VoteBody(_Input):
    value: Literal[1, -1]


class AcceptBody(_Input):
    # Accepting the already accepted reply again takes the acceptance back.
    post_id: int


class FlagBody(_Input):
    value: bool = True


# Outputs


class AuthorPublic(BaseModel):
    # None (and an empty username) for an anonymous post seen by a classmate (issue #17).
    id: int | None
    username: str
    display_name: str
    # Site role, shown as a badge that a display name cannot fake.
    role: Role = Role.learner
    # Posted anonymously to classmates: classmates see only the alias in display_name; staff
    # and the author see who it is, with this marker.
    anonymous: bool = False


class CoursePublic(BaseModel):
    id: int
    slug: str
    title: str
    description: str
    # Learners may post anonymously to classmates here.
    allow_anonymous: bool = True
    assignment_count: int = 0
    thread_count: int = 0


class AssignmentPublic(BaseModel):
    id: int
    course_id: int
    slug: str
    title: str
    notebook_version: str
    position: int


class PostPublic(BaseModel):
    id: int
    thread_id: int
    author: AuthorPublic | None
    is_question: bool
    # The Markdown as written, and the same rendered to sanitized HTML.
    body: str
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    edited_by: AuthorPublic | None
    deleted: bool
    score: int
    accepted: bool
    endorsed: bool
    endorsed_by: AuthorPublic | None
    # The caller's own vote on this post: 1, -1 or none.
    my_vote: int | None = None


class ThreadPublic(BaseModel):
    id: int
    course_id: int
    course_slug: str
    assignment_id: int | None
    assignment_slug: str | None
    author: AuthorPublic | None
    title: str
    snippet: str = ""
    created_at: datetime
    last_activity_at: datetime
    pinned: bool
    locked: bool
    accepted_post_id: int | None
    reply_count: int
    score: int
    url: str
    # Visible only to the asker and the course's staff.
    private: bool = False
    # Closed as a duplicate of this thread (its page points there).
    duplicate_of_id: int | None = None


class ThreadDetail(BaseModel):
    thread: ThreadPublic
    question: PostPublic
    replies: list[PostPublic]
    following: bool = False
