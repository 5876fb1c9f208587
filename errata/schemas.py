"""API shapes of the errata record: strict inputs (unknown fields dropped) and public outputs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.ids import DbId
from errata.models import ErratumKind, ErratumStatus


# Inputs read only these fields; a learner sending status, verifier_id or affects_count has them
# dropped before they reach a service (ACCEPTANCE A3).
class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore")


# A new report. The course and assignment are slugs; the source thread or reply links it.
class ErratumCreate(_Input):
    course: str = Field(min_length=1, max_length=80)
    assignment: str | None = Field(default=None, max_length=80)
    title: str = Field(max_length=1000)
    description: str = Field(default="", max_length=1_000_000)
    location: str = Field(default="", max_length=200)
    kind: ErratumKind = ErratumKind.wrong_expected_output
    affected_versions: str = Field(default="", max_length=200)
    published_output: str = Field(default="", max_length=1_000_000)
    corrected_output: str = Field(default="", max_length=1_000_000)
    workaround: str = Field(default="", max_length=1_000_000)
    source_thread_id: DbId | None = None
    source_post_id: DbId | None = None


# Editing: any subset of the describing fields; the status changes only through transitions.
class ErratumUpdate(_Input):
    title: str | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=1_000_000)
    location: str | None = Field(default=None, max_length=200)
    kind: ErratumKind | None = None
    affected_versions: str | None = Field(default=None, max_length=200)
    published_output: str | None = Field(default=None, max_length=1_000_000)
    corrected_output: str | None = Field(default=None, max_length=1_000_000)
    workaround: str | None = Field(default=None, max_length=1_000_000)


class TransitionBody(_Input):
    reason: str = Field(default="", max_length=20_000)


class DuplicateBody(TransitionBody):
    duplicate_of: DbId


class FixBody(TransitionBody):
    fixed_in: str = Field(max_length=20)


class LinkBody(_Input):
    thread_id: DbId


# Outputs


class UserRef(BaseModel):
    id: int
    username: str
    display_name: str


class HistoryPublic(BaseModel):
    id: int
    actor: UserRef | None
    from_status: ErratumStatus | None
    to_status: ErratumStatus
    reason: str
    created_at: datetime


class ThreadRef(BaseModel):
    id: int
    title: str
    url: str


class ErratumPublic(BaseModel):
    id: int
    url: str
    course_id: int
    course: str
    assignment_id: int | None
    assignment: str | None
    title: str
    description: str
    location: str
    kind: ErratumKind
    affected_versions: str
    published_output: str
    corrected_output: str
    workaround: str
    status: ErratumStatus
    resolution_note: str
    duplicate_of_id: int | None
    fixed_in: str | None
    reporter: UserRef | None
    verifier: UserRef | None
    source_thread_id: int | None
    source_post_id: int | None
    affects_count: int
    created_at: datetime
    updated_at: datetime
    external_id: str | None


class ErratumDetail(ErratumPublic):
    history: list[HistoryPublic]
    threads: list[ThreadRef]
    # Whether the caller marked "affects me too" (false for anonymous callers).
    affects_me: bool = False


class SimilarErratum(BaseModel):
    id: int
    url: str
    title: str
    status: ErratumStatus
    location: str
    assignment: str | None
    affects_count: int
    score: float


class AffectsResult(BaseModel):
    affects_me: bool
    affects_count: int


class NotificationPublic(BaseModel):
    id: int
    kind: str
    message: str
    url: str
    erratum_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    data: list[NotificationPublic]
    count: int
    unread: int
