"""API shapes: follows and delivery preferences."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from notify.models import Delivery, FollowKind


# A follow to create or remove (threads are followed on the thread's own endpoints).
class FollowBody(BaseModel):
    kind: FollowKind
    target_id: int = Field(ge=1, le=2**31 - 1)


class FollowPublic(BaseModel):
    kind: FollowKind
    target_id: int
    created_at: datetime


# How the user hears about each kind: in_app, immediate, daily or weekly.
class Preferences(BaseModel):
    course: Delivery | None = None
    assignment: Delivery | None = None
    thread: Delivery | None = None
    course_reports: Delivery | None = None
