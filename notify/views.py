"""Pages: notification settings on the profile, and the one-click unsubscribe link."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from core import csrf
from core.access import Public
from core.db import SessionDep
from core.errors import DomainError, InvalidInput
from core.templating import page
from notify import service, unsubscribe
from notify.models import Delivery, FollowKind
from users.policy import CurrentUser

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    FollowKind.course: "Courses you follow",
    FollowKind.assignment: "Assignments you follow (errata verified, rejected, fixed)",
    FollowKind.thread: "Threads you follow (replies, accepted and endorsed answers)",
    FollowKind.course_reports: "Weekly report on courses you teach (instructors)",
}
DELIVERY_LABELS = {
    Delivery.in_app: "In-app only",
    Delivery.immediate: "E-mail at once",
    Delivery.daily: "Daily digest",
    Delivery.weekly: "Weekly digest",
}


def _settings_page(
    request: Request, session: SessionDep, user_id: int, status: int = 200, **extra: Any
) -> Any:
    follows = service.list_follows(session=session, user_id=user_id)
    return page(
        request,
        "notify/preferences.html",
        status,
        choices=service.preferences(session=session, user_id=user_id),
        follows=follows,
        titles=service.titles(session=session, follows=follows),
        kind_labels=KIND_LABELS,
        delivery_labels=DELIVERY_LABELS,
        **extra,
    )


@router.get("/profile/notifications")
def settings_page(request: Request, user: CurrentUser, session: SessionDep) -> Any:
    assert user.id is not None
    return _settings_page(request, session, user.id, saved=False)


@router.post("/profile/notifications")
async def settings_submit(request: Request, user: CurrentUser, session: SessionDep) -> Any:
    """One select per kind; an unknown value is refused and nothing changes."""
    assert user.id is not None
    form = await request.form()
    choices: dict[FollowKind, Delivery] = {}
    for kind in FollowKind:
        value = form.get(kind.value)
        if value is None:
            continue
        if value not in set(Delivery):
            error = InvalidInput(f"Choose one of the offered deliveries for {kind.value}.")
            return _settings_page(request, session, user.id, error.status, error=error.message)
        choices[kind] = Delivery(str(value))
    service.set_preferences(session=session, user_id=user.id, choices=choices)
    return _settings_page(request, session, user.id, saved=True)


@router.post("/profile/notifications/unfollow")
def settings_unfollow(
    user: CurrentUser,
    session: SessionDep,
    kind: Annotated[FollowKind, Form()],
    target_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Any:
    assert user.id is not None
    service.unfollow(session=session, user_id=user.id, kind=kind, target_id=target_id)
    return RedirectResponse("/profile/notifications", status_code=303)


# The link in every mail. GET only shows a confirmation (link scanners and previews fetch
# links); POST unsubscribes: the page's button, or a mail client's one-click POST (RFC 8058).
# The signed token is the proof, so the POST needs no session or CSRF token (core.csrf).
csrf.exempt_paths.add(unsubscribe.PATH)


@router.get(unsubscribe.PATH, dependencies=[Public])
def unsubscribe_confirm(request: Request, session: SessionDep, t: str = "") -> Any:
    try:
        wanted = unsubscribe.read_token(t)
    except DomainError as exc:
        return page(request, "notify/unsubscribe.html", exc.status, error=exc.message, token="")
    labels = [KIND_LABELS[k] for k in wanted.kinds]
    return page(request, "notify/unsubscribe.html", token=t, labels=labels, done=False)


@router.post(unsubscribe.PATH, dependencies=[Public])
def unsubscribe_submit(request: Request, session: SessionDep, t: str = "") -> Any:
    try:
        wanted = unsubscribe.read_token(t)
    except DomainError as exc:
        return page(request, "notify/unsubscribe.html", exc.status, error=exc.message, token="")
    unsubscribe.apply(session=session, request=wanted)
    labels = [KIND_LABELS[k] for k in wanted.kinds]
    return page(request, "notify/unsubscribe.html", token="", labels=labels, done=True)
