"""Acceptance fixtures: a small seeded world whose ids the fuzzers and fault tests can hit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from forum.models import Assignment, Course

API = "/api/v1"


@dataclass
class Seeded:
    """Real rows and the tokens that made them; ``ids`` maps path-parameter names to real ids."""

    learner: dict[str, str]
    moderator: dict[str, str]
    ids: dict[str, list[Any]] = field(default_factory=dict)


@pytest.fixture()
def seeded(
    client: TestClient,
    session: Session,
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
) -> Seeded:
    course = Course(slug="sequence-models", title="Sequence Models")
    session.add(course)
    session.commit()
    assignment = Assignment(
        course_id=course.id, slug="building-rnn", title="Building your RNN", notebook_version="3a"
    )
    session.add(assignment)
    learner_user = make_user("learner_a")
    mod_user = make_user("mod", "moderator")
    session.commit()
    learner, mod = token_for(learner_user), token_for(mod_user)
    out = Seeded(learner=learner, moderator=mod)

    thread = client.post(
        f"{API}/courses/{course.slug}/threads",
        json={
            "title": "rnn_forward a_next values differ",
            "body": "AssertionError: Wrong values in a_next",
            "assignment": assignment.slug,
        },
        headers=learner,
    )
    assert thread.status_code == 201, thread.text
    thread_id = thread.json()["thread"]["id"]
    question_id = thread.json()["question"]["id"]
    reply = client.post(
        f"{API}/threads/{thread_id}/replies", json={"body": "Check the tanh."}, headers=mod
    )
    assert reply.status_code == 201, reply.text
    errata = []
    for title in ("rnn_forward expected a_next[4] is wrong", "lstm_backward dWf off by one"):
        r = client.post(
            f"{API}/errata",
            json={"course": course.slug, "assignment": assignment.slug, "title": title,
                  "description": "The expected output doesn't match the formula."},
            headers=learner,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        errata.append(r.json()["id"])
    verified = client.post(f"{API}/errata/{errata[0]}/verify", json={}, headers=mod)
    assert verified.status_code == 200, verified.text
    asked = client.post(f"{API}/ask", json={"question": "Wrong values in a_next"}, headers=learner)
    assert asked.status_code == 200, asked.text
    chat = client.post(f"{API}/chat", json={"question": "rnn_forward is wrong"}, headers=learner)
    conversation = [chat.json()["conversation_id"]] if chat.status_code == 200 else []
    notes = client.get(f"{API}/notifications", headers=learner).json()
    tokens = client.get(f"{API}/tokens", headers=learner).json()
    out.ids = {
        "slug": [course.slug],
        "thread_id": [thread_id],
        "post_id": [question_id, reply.json()["id"]],
        "erratum_id": errata,
        "ask_id": [asked.json()["ask_id"]],
        "conversation_id": conversation,
        "notification_id": [n["id"] for n in notes.get("data", [])][:2],
        "token_id": [t["id"] for t in tokens["data"]],
    }
    return out
