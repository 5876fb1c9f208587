"""Chat: an ask with context kept across follow-ups ("still failing", "I'm on version 3a")."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from assistant.intake import validate
from assistant.models import ChatMessage, Conversation
from assistant.schemas import (
    AskRequest,
    ChatMessagePublic,
    ChatRequest,
    ChatResponse,
    ConversationPublic,
)
from assistant.service import ask
from assistant.versions import stated_version
from core.clock import utcnow
from core.errors import InvalidInput, NotFound
from users.models import User

# Chat: context kept across follow-ups

_FOLLOW_UP = re.compile(
    r"\b(still\s+(?:fail|failing|fails|broken|wrong|not|doesn|don|the same|get|getting|see)"
    r"|same\s+(?:error|problem|issue|result|output)|didn'?t\s+(?:help|work)|doesn'?t\s+work"
    r"|not\s+working|no\s+luck|try\s+again|any\s+other\s+idea)",
    re.IGNORECASE,
)


def is_follow_up(text: str) -> bool:
    """A short message that only reacts to the last answer ("still failing", "version 3a")."""
    words = text.split()
    if len(words) > 25:
        return False
    return bool(_FOLLOW_UP.search(text)) or (stated_version(text) is not None and len(words) <= 8)


def get_conversation(
    session: Session, *, conversation_id: int, user: User | None, anon: str | None
) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    owned = conv is not None and (
        (user is not None and conv.user_id == user.id)
        or (conv.user_id is None and anon is not None and conv.anon_key == anon)
    )
    if conv is None or not owned:
        raise NotFound("That conversation does not exist; start a new one.")
    return conv


def chat(
    session: Session,
    *,
    request: ChatRequest,
    user: User | None,
    anon: str | None,
) -> ChatResponse:
    """Answer a chat message with the conversation's context; start one when none is given."""
    request = validate(request)
    if request.conversation_id is not None:
        conv = get_conversation(
            session, conversation_id=request.conversation_id, user=user, anon=anon
        )
    else:
        if user is None and anon is None:
            raise InvalidInput("Enable cookies (or sign in) to keep a conversation.")
        conv = Conversation(user_id=user.id if user else None, anon_key=None if user else anon)
    text = request.question.strip()
    # Context the learner states or sends now overrides what the conversation remembers.
    conv.course = request.course or conv.course
    conv.assignment = request.assignment or conv.assignment
    # A version stated in the message ("I'm on version 3a") wins over a form field that still
    # holds the old one.
    conv.notebook_version = (
        stated_version(text) or request.notebook_version or conv.notebook_version
    )
    follow_up = bool(conv.last_question) and is_follow_up(text)
    if follow_up:
        question = conv.last_question
        traceback = request.traceback or conv.last_traceback or None
        output = request.output or conv.last_output or None
        expected = request.expected or conv.last_expected or None
    else:
        question, traceback = text, request.traceback
        output, expected = request.output, request.expected
        conv.last_question = text
        conv.last_traceback = traceback or ""
        conv.last_output = output or ""
        conv.last_expected = expected or ""
    conv.updated_at = utcnow()
    session.add(conv)
    session.commit()
    session.refresh(conv)
    assert conv.id is not None
    asked = AskRequest(
        question=question, course=conv.course, assignment=conv.assignment,
        notebook_version=conv.notebook_version, traceback=traceback, output=output,
        expected=expected,
    )  # fmt: skip
    response = ask(session, request=asked, user=user, conversation_id=conv.id)
    session.add(ChatMessage(conversation_id=conv.id, role="user", content=text))
    session.add(
        ChatMessage(
            conversation_id=conv.id,
            role="assistant",
            content=response.answer,
            ask_id=response.ask_id,
        )  # fmt: skip
    )
    session.commit()
    return ChatResponse(
        **response.model_dump(),
        conversation_id=conv.id,
        context={
            "course": conv.course,
            "assignment": conv.assignment,
            "notebook_version": conv.notebook_version,
        },
    )


def conversation_public(session: Session, conv: Conversation) -> ConversationPublic:
    msgs = session.exec(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == conv.id)
        .order_by(col(ChatMessage.id))
    ).all()
    assert conv.id is not None
    return ConversationPublic(
        id=conv.id,
        course=conv.course,
        assignment=conv.assignment,
        notebook_version=conv.notebook_version,
        messages=[
            ChatMessagePublic(
                id=m.id or 0,
                role="user" if m.role == "user" else "assistant",
                content=m.content,
                ask_id=m.ask_id,
                created_at=m.created_at,
            )  # fmt: skip
            for m in msgs
        ],
    )
