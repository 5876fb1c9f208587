"""Asking about an assignment follows it (issue #15): signed-in askers only, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from notify.models import FollowKind, Subscription
from tests.notify.conftest import Place

API = "/api/v1"
QUESTION = "rnn_forward: my a_next[4] differs from the expected output"


def _follows(session: Session) -> list[tuple[int, int]]:
    session.expire_all()
    rows = session.exec(
        select(Subscription.user_id, Subscription.target_id).where(
            Subscription.kind == FollowKind.assignment
        )
    ).all()
    return sorted((int(u), int(t)) for u, t in rows)


def test_signed_in_ask_about_an_assignment_follows_it_once(
    client: TestClient, session: Session, place: Place, make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
) -> None:  # fmt: skip
    learner = make_user("asker")
    body = {"question": QUESTION, "course": place.course.slug, "assignment": place.assignment.slug}
    for _ in range(2):  # asking again is no error and no second row
        r = client.post(f"{API}/ask", json=body, headers=token_for(learner))
        assert r.status_code == 200, r.text
    assert _follows(session) == [(learner.id, place.assignment.id)]


def test_ask_follows_nothing_for_anonymous_widget_or_no_assignment(
    client: TestClient, session: Session, place: Place, make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
) -> None:  # fmt: skip
    learner, owner = make_user("asker"), make_user("widget_owner", "moderator")
    named = {"question": QUESTION, "course": place.course.slug, "assignment": place.assignment.slug}
    asks: list[tuple[dict[str, Any], dict[str, str]]] = [
        (named, {}),  # anonymous
        (named, token_for(owner, "widget")),  # a widget's token speaks for a page
        ({"question": QUESTION, "course": place.course.slug}, token_for(learner)),
        ({**named, "assignment": "no-such-assignment"}, token_for(learner)),
        ({**named, "course": "no-such-course"}, token_for(learner)),
    ]
    for body, headers in asks:
        r = client.post(f"{API}/ask", json=body, headers=headers)
        assert r.status_code == 200, r.text
    assert _follows(session) == []
