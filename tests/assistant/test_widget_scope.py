"""A widget token is public: its holder is an anonymous visitor, never its owner (issue #11)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assistant.models import AskFeedback, AskLog, ChatMessage, Conversation
from errata.models import Notification

API = "/api/v1"


@pytest.fixture()
def owner(make_user: Callable[..., Any]) -> Any:
    # A moderator: the owner whose powers a leaked token would hand out if it spoke for them.
    return make_user("widget_owner", "moderator")


@pytest.fixture()
def private_chat(session: Session, owner: Any) -> int:
    conv = Conversation(user_id=owner.id, course="dl")
    session.add(conv)
    session.commit()
    assert conv.id is not None
    session.add(ChatMessage(conversation_id=conv.id, role="user", content="my private question"))
    session.commit()
    return conv.id


def test_widget_token_cannot_read_owners_chat(
    client: TestClient, owner: Any, private_chat: int, token_for: Callable[..., Any]
) -> None:
    assert client.get(f"{API}/chat/{private_chat}", headers=token_for(owner)).status_code == 200
    r = client.get(f"{API}/chat/{private_chat}", headers=token_for(owner, "widget"))
    assert r.status_code == 404
    assert "my private question" not in r.text


def test_widget_token_is_anonymous_on_account_routes(
    client: TestClient, session: Session, owner: Any, token_for: Callable[..., Any]
) -> None:
    assert owner.id is not None
    session.add(Notification(user_id=owner.id, kind="thread_reply", message="Private", url="/"))
    session.commit()
    widget = token_for(owner, "widget")
    paths = ("/users/me", "/tokens", "/notifications", "/moderation/errata", "/moderation/asks")
    for path in paths:
        r = client.get(API + path, headers=widget)
        assert r.status_code in (401, 403), (path, r.status_code, r.text)
        assert "Private" not in r.text
    r = client.get("/profile", headers={**widget, "accept": "text/html"}, follow_redirects=False)
    assert r.status_code in (303, 401, 403)
    assert "widget_owner" not in r.text


def test_widget_token_cannot_rate_owners_answers(
    client: TestClient, session: Session, owner: Any, token_for: Callable[..., Any]
) -> None:
    row = AskLog(user_id=owner.id, question="mine")
    session.add(row)
    session.commit()
    r = client.post(
        f"{API}/ask/{row.id}/feedback", json={"helpful": False}, headers=token_for(owner, "widget")
    )
    assert r.status_code == 403
    session.expire_all()
    assert session.exec(select(AskFeedback)).all() == []


@pytest.mark.model
def test_widget_token_still_asks_anonymously(
    client: TestClient, world: Any, owner: Any, session: Session, token_for: Callable[..., Any]
) -> None:
    r = client.post(
        f"{API}/ask",
        json={"question": "lstm_backward_test fails with Wrong values for dWf"},
        headers=token_for(owner, "widget"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["sources"]
    # Logged as an anonymous ask: it is not in the owner's history.
    row = session.get(AskLog, r.json()["ask_id"])
    assert row is not None and row.user_id is None


# Item 5 of issue #11: widget asks are limited per token and per visitor IP, not per owner.


def test_widget_asks_do_not_spend_the_owners_budget(
    client: TestClient,
    owner: Any,
    token_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.settings import get_settings

    monkeypatch.setattr(get_settings(), "rate_ask", "2/60")
    widget = token_for(owner, "widget")
    # A blank question passes the schema and is refused by the service (fast, no search) after
    # the limits are counted.
    for _ in range(3):
        r = client.post(f"{API}/ask", json={"question": " "}, headers=widget)
        assert r.status_code == 422, r.text
    r = client.post(f"{API}/ask", json={"question": " "}, headers=token_for(owner))
    assert r.status_code == 422, r.text


def test_widget_asks_are_limited_per_visitor_ip(
    client: TestClient,
    owner: Any,
    make_user: Callable[..., Any],
    token_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.settings import get_settings

    monkeypatch.setattr(get_settings(), "rate_ask_widget_ip", "2/60")
    first, second = token_for(owner, "widget"), token_for(make_user("other_site"), "widget")
    assert client.post(f"{API}/ask", json={"question": " "}, headers=first).status_code == 422
    assert client.post(f"{API}/ask", json={"question": " "}, headers=second).status_code == 422
    # A second token does not give the same visitor a fresh budget.
    r = client.post(f"{API}/ask", json={"question": " "}, headers=second)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
