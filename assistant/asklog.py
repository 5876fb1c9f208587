"""The ask log (what was asked, what was answered, for moderators and feedback) and feedback on
one answer."""

from __future__ import annotations

import hashlib
import hmac

from sqlmodel import Session, select

from assistant.intake import check_text
from assistant.models import AskFeedback, AskLog
from assistant.parsing import Parsed
from assistant.schemas import AskRequest, AskResponse, FeedbackRequest
from core.errors import NotFound, PermissionDenied
from core.security import sha256
from core.settings import get_settings
from core.throttle import throttle
from users.models import User


def log_ask(
    session: Session,
    request: AskRequest,
    parsed: Parsed,
    response: AskResponse,
    user: User | None,
    conversation_id: int | None,
    feedback_token: str,
) -> int:
    row = AskLog(
        feedback_hash=sha256(feedback_token),
        user_id=user.id if user is not None else None,
        conversation_id=conversation_id,
        question=request.question[:4000],
        course=request.course,
        assignment=request.assignment,
        notebook_version=request.notebook_version,
        terms="\n".join(parsed.terms()),
        verdict=response.verdict.value,
        top_score=response.sources[0].score if response.sources else 0.0,
        source_ids=",".join(f"{s.type}:{s.id}" for s in response.sources),
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


def anon_key(value: str | None) -> str | None:
    return hashlib.sha256(value.encode()).hexdigest() if value else None


# Feedback


def feedback(
    session: Session,
    *,
    ask_id: int,
    user: User | None,
    body: FeedbackRequest,
    client_key: str | None = None,
) -> AskFeedback:
    """Helpful / not helpful on one answer; a second vote replaces the first."""
    rate, user_id = get_settings().rate_feedback, user.id if user is not None else None
    throttle("feedback", rate=rate, user_id=user_id, ip=client_key, what="ratings")
    check_text("comment", body.comment)
    row = session.get(AskLog, ask_id)
    if row is None:
        raise NotFound("That answer does not exist; ask again.")
    # The asker is whoever holds the secret returned with the answer, or the signed-in user who
    # asked; ids are sequential, so an id alone proves nothing (issue #11).
    by_secret = (
        body.feedback_token is not None
        and row.feedback_hash is not None
        and hmac.compare_digest(row.feedback_hash, sha256(body.feedback_token))
    )
    by_user = row.user_id is not None and user is not None and user.id == row.user_id
    if not (by_secret or by_user):
        raise PermissionDenied("Only the person who asked can rate this answer.")
    existing = session.exec(select(AskFeedback).where(AskFeedback.ask_id == ask_id)).first()
    fb = existing or AskFeedback(ask_id=ask_id, helpful=body.helpful)
    fb.helpful = body.helpful
    fb.comment = body.comment.strip()
    fb.user_id = user.id if user is not None else None
    session.add(fb)
    session.commit()
    session.refresh(fb)
    return fb
