"""Only the person who asked may rate an answer; ask ids are sequential (issue #11)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assistant.models import AskFeedback, AskLog
from tests.assistant.conftest import World

pytestmark = pytest.mark.model

QUESTION = "lstm_backward_test fails with Wrong values for dWf"


def _ask(client: TestClient, **headers: str) -> dict[str, Any]:
    r = client.post("/api/v1/ask", json={"question": QUESTION}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _stored(session: Session) -> list[tuple[int, bool]]:
    session.expire_all()
    return [(f.ask_id, f.helpful) for f in session.exec(select(AskFeedback)).all()]


def test_anonymous_feedback_needs_the_askers_token(
    client: TestClient, world: World, app: Any, session: Session
) -> None:
    data = _ask(client)
    url = f"/api/v1/ask/{data['ask_id']}/feedback"
    with TestClient(app) as stranger:
        for body in ({"helpful": False}, {"helpful": False, "feedback_token": "guess"}):
            r = stranger.post(url, json=body)
            assert r.status_code == 403, r.text
            assert "Only the person who asked" in r.json()["detail"]
    assert _stored(session) == []
    r = client.post(url, json={"helpful": True, "feedback_token": data["feedback_token"]})
    assert r.status_code == 200, r.text
    assert _stored(session) == [(data["ask_id"], True)]
    # Stored hashed: the database never holds the secret itself.
    row = session.get(AskLog, data["ask_id"])
    assert row is not None and row.feedback_hash and data["feedback_token"] not in row.feedback_hash


def test_signed_in_askers_answer_is_theirs_to_rate(
    client: TestClient, world: World, make_user: Any, token_for: Any, session: Session
) -> None:
    asker = token_for(make_user("asker"))
    data = _ask(client, **asker)
    url = f"/api/v1/ask/{data['ask_id']}/feedback"
    assert client.post(url, json={"helpful": False}).status_code == 403
    other = token_for(make_user("someone_else"))
    assert client.post(url, json={"helpful": False}, headers=other).status_code == 403
    assert _stored(session) == []
    assert client.post(url, json={"helpful": True}, headers=asker).status_code == 200
    assert _stored(session) == [(data["ask_id"], True)]
