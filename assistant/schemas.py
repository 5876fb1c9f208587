"""The assistant's API shapes: ``POST /api/v1/ask``, ``POST /api/v1/chat`` and feedback.

The notebook widget and the chat page are built against these; change them only additively.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

# Each text field is capped so that a pasted 1 MB traceback is refused fast with a clear 422
# (ACCEPTANCE R2); the body limit (413) is the outer wall.
MAX_FIELD_CHARS = 20_000
MAX_SHORT_CHARS = 80


class Verdict(StrEnum):
    # A verified (or fixed-later) erratum explains what the learner sees.
    known_erratum = "known_erratum"
    # The learner's output equals an erratum's corrected expected output: their code is right.
    output_matches_correction = "output_matches_correction"
    # The learner's output equals the notebook's published (wrong) expected output.
    output_matches_published = "output_matches_published"
    # A matching report was rejected: not an erratum, with the instructor's explanation.
    rejected_report = "rejected_report"
    # The matching erratum was fixed in a version at or before the learner's notebook version.
    fixed_in_your_version = "fixed_in_your_version"
    # Only unverified reports match: shown, labelled unconfirmed.
    unconfirmed_report = "unconfirmed_report"
    # A forum thread or reply answers it.
    answered_before = "answered_before"
    # Nothing matched well; the answer offers to post a new thread.
    no_match = "no_match"


SourceType = Literal["erratum", "thread", "post"]


# What the learner sends: a question (may be a pasted traceback) and optional context.
class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_FIELD_CHARS)
    course: str | None = Field(default=None, max_length=MAX_SHORT_CHARS, description="Course slug")
    assignment: str | None = Field(
        default=None, max_length=MAX_SHORT_CHARS, description="Assignment slug"
    )
    notebook_version: str | None = Field(
        default=None, max_length=20, description='The learner\'s notebook version, e.g. "3a"'
    )
    traceback: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    output: str | None = Field(
        default=None, max_length=MAX_FIELD_CHARS, description="The learner's actual output"
    )
    expected: str | None = Field(
        default=None, max_length=MAX_FIELD_CHARS, description="The notebook's expected output"
    )


# One cited item; ``sources[0]`` is what the marker [1] in the answer points at.
class Source(BaseModel):
    type: SourceType
    id: int
    external_id: str | None = None
    title: str
    url: str
    # Erratum status (verified, fixed, rejected, reported, duplicate); for threads and posts
    # "answered" (accepted or endorsed reply), "open" or "reply".
    status: str
    score: float
    snippet: str
    # Extra labels the answer relies on, e.g. "unconfirmed", "fixed in your version".
    labels: list[str] = Field(default_factory=list)
    fixed_in: str | None = None


# The answer: Markdown with citation markers [n] that map to sources[n-1].
class AskResponse(BaseModel):
    ask_id: int | None = Field(default=None, description="Feedback: POST /ask/{ask_id}/feedback")
    feedback_token: str | None = Field(
        default=None, description="Send it back with the feedback: only the asker may rate"
    )
    answer: str
    answer_html: str = Field(default="", description="The answer rendered and sanitized")
    verdict: Verdict
    sources: list[Source]
    # When nothing matched well: a link to the forum's new-thread page, prefilled.
    new_thread_url: str | None = None
    # True when an LLM phrased the answer; False for the extractive answer.
    phrased_by_llm: bool = False


class ChatRequest(AskRequest):
    conversation_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Omit to start a new conversation"
    )


class ChatResponse(AskResponse):
    conversation_id: int
    # The context the follow-up was answered with (course, assignment, version).
    context: dict[str, str | None] = Field(default_factory=dict)


class FeedbackRequest(BaseModel):
    helpful: bool
    comment: str = Field(default="", max_length=2000)
    # The ask's feedback_token; a signed-in asker may rate their own answers without it.
    feedback_token: str | None = Field(default=None, max_length=100)


class FeedbackPublic(BaseModel):
    ask_id: int
    helpful: bool
    created_at: datetime


class ChatMessagePublic(BaseModel):
    id: int
    role: Literal["user", "assistant"]
    content: str
    ask_id: int | None
    created_at: datetime


class ConversationPublic(BaseModel):
    id: int
    course: str | None
    assignment: str | None
    notebook_version: str | None
    messages: list[ChatMessagePublic]
