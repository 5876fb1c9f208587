"""API: ask, chat, feedback, and the moderators' list of asks that found nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from assistant import asklog, checks, checks_router, clusters, consensus, intake, service
from assistant import chat as chats
from assistant.schemas import (
    AskRequest,
    AskResponse,
    ChatRequest,
    ChatResponse,
    ConversationPublic,
    FeedbackPublic,
    FeedbackRequest,
)
from core.csrf import ANON_COOKIE
from core.db import SessionDep
from core.ids import MAX_ID
from core.security import client_ip
from users.models import TokenScope
from users.policy import ModeratorOrInstructor, OptionalUser, moderated_course_ids

router = APIRouter(tags=["assistant"])
# Issue #18: opting out of kept checks, and the moderators' suspected errata.
router.include_router(checks_router.router)


def _anon(request: Request) -> str | None:
    return asklog.anon_key(
        request.cookies.get(ANON_COOKIE) or getattr(request.state, "anon_id", None)
    )


# Sync handlers: FastAPI runs them in its thread pool, so encoding never blocks the event loop.
@router.post("/ask", response_model=AskResponse)
def ask(body: AskRequest, request: Request, user: OptionalUser, session: SessionDep) -> AskResponse:
    """Answer a question or pasted failure with the errata and threads that explain it."""
    widget = getattr(request.state, "token_scope", None) == TokenScope.widget
    intake.check_access(user=user, client_key=client_ip(request), widget=widget)
    checks.refuse_unknown_target(session, body)  # issue #18: a report names a real notebook
    response = service.ask(session, request=body, user=user, private=not widget)
    # A widget's token speaks for a page, not a learner: only a signed-in asker follows.
    if user is not None and not widget:
        service.follow_asked_assignment(session, request=body, user=user)
    # Issue #18: keep the failing check (signed-in learners only) and update its consensus.
    return consensus.after_ask(
        session, request=body, response=response, user=None if widget else user,
        ip=client_ip(request),
    )  # fmt: skip


@router.post("/chat", response_model=ChatResponse)
def chat(
    body: ChatRequest, request: Request, user: OptionalUser, session: SessionDep
) -> ChatResponse:
    """Ask within a conversation that remembers course, assignment, version and the last error."""
    intake.check_access(user=user, client_key=client_ip(request))
    checks.refuse_unknown_target(session, body)  # issue #18: a report names a real notebook
    response = chats.chat(session, request=body, user=user, anon=_anon(request))
    # Issue #18: the check as answered, in the conversation's context (course, version...).
    asked = body.model_copy(update={k: v for k, v in response.context.items() if v})
    return consensus.after_ask(
        session, request=asked, response=response, user=user, ip=client_ip(request)
    )


@router.get("/chat/{conversation_id}", response_model=ConversationPublic)
def read_conversation(
    conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    user: OptionalUser,
    session: SessionDep,
) -> ConversationPublic:
    conv = chats.get_conversation(
        session, conversation_id=conversation_id, user=user, anon=_anon(request)
    )
    return chats.conversation_public(session, conv)


@router.post("/ask/{ask_id}/feedback", response_model=FeedbackPublic)
def feedback(
    ask_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: FeedbackRequest,
    request: Request,
    user: OptionalUser,
    session: SessionDep,
) -> FeedbackPublic:
    """Helpful or not: stored per answer."""
    fb = asklog.feedback(
        session, ask_id=ask_id, user=user, body=body, client_key=client_ip(request)
    )
    return FeedbackPublic(ask_id=fb.ask_id, helpful=fb.helpful, created_at=fb.created_at)


class AskSummary(BaseModel):
    id: int
    question: str
    course: str | None
    assignment: str | None
    created_at: Any


class AskGroupPublic(BaseModel):
    size: int
    example: str
    terms: list[str]
    asks: list[AskSummary]


@router.get("/moderation/asks", response_model=list[AskGroupPublic])
def no_match_asks(
    user: ModeratorOrInstructor,
    session: SessionDep,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[AskGroupPublic]:
    """Recent asks that found nothing, grouped by similarity: candidates for a new erratum."""
    courses = moderated_course_ids(session, user)
    asks = clusters.no_match_asks(
        session, course_ids=None if courses is None else sorted(courses), limit=limit
    )
    return [
        AskGroupPublic(
            size=g.size,
            example=g.example,
            terms=g.terms,
            asks=[
                AskSummary(
                    id=a.id or 0,
                    question=a.question,
                    course=a.course,
                    assignment=a.assignment,
                    created_at=a.created_at,
                )
                for a in g.asks
            ],
        )  # fmt: skip
        for g in clusters.group_asks(asks)
    ]
