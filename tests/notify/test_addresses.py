"""Invalid e-mail addresses are refused at sign-up and at profile edit."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import login_browser
from users.models import User


def test_register_refuses_an_invalid_address(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/register",
        json={"username": "newbie", "password": "long enough 1", "email": "newbie@@example"},
    )
    assert r.status_code == 422 and "email" in r.json()["detail"]
    ok = client.post(
        "/api/v1/auth/register",
        json={"username": "newbie", "password": "long enough 1", "email": "newbie@example.org"},
    )
    assert ok.status_code == 201
    taken = client.post(
        "/api/v1/auth/register",
        json={"username": "other1", "password": "long enough 1", "email": "NEWBIE@example.org"},
    )
    assert taken.status_code == 422 and "another account" in taken.json()["detail"]


def test_profile_edit_refuses_an_invalid_address(
    client: TestClient, session: Session, make_user: Any
) -> None:
    user = make_user("learner_e")
    csrf = login_browser(client, "learner_e")
    bad = client.post("/profile/email", data={"email": "no-at-sign", "csrf_token": csrf})
    assert bad.status_code == 422 and "not a valid e-mail address" in bad.text
    session.expire_all()
    assert session.get(User, user.id).email is None  # type: ignore[union-attr]
    good = client.post(
        "/profile/email", data={"email": "learner@example.org", "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303
    session.expire_all()
    assert session.get(User, user.id).email == "learner@example.org"  # type: ignore[union-attr]
