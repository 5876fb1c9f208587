"""Password reset by e-mailed signed link: request, mail, link, new password (issue #19)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from core.clock import utcnow
from core.settings import get_settings
from tests.conftest import login_browser
from users import reset

NEW = "brand new pass 9"
OLD = "correct horse 1"


def _csrf(client: TestClient, url: str) -> str:
    return client.get(url).text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def _ask(client: TestClient, login: str) -> Any:
    return client.post(
        "/password-reset", data={"login": login, "csrf_token": _csrf(client, "/password-reset")}
    )


def _deliver() -> list[Path]:
    """One pass of the mail worker (no SMTP set: .eml files under <data_dir>/mail/)."""
    from app.mail import wire
    from core import db
    from notify.worker import run_once

    wire()
    settings = get_settings()
    run_once(db.get_engine(), settings, digests=False)
    return sorted((settings.data_dir / "mail").glob("*.eml"))


def _link_in(path: Path) -> str:
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    return re.search(r"https?://\S+/password-reset/\S+", text).group(0)  # type: ignore[union-attr]


def _set(client: TestClient, path: str, password: str, confirm: str | None = None) -> Any:
    return client.post(
        path,
        data={
            "password": password,
            "confirm": confirm or password,
            "csrf_token": _csrf(client, "/login"),
        },
        follow_redirects=False,
    )


def _user_with_mail(session: Session, make_user: Callable[..., Any]) -> Any:
    user = make_user("forgetful")
    user.email = "forgetful@example.org"
    session.add(user)
    session.commit()
    return user


def _can_sign_in(client: TestClient, password: str) -> bool:
    client.cookies.clear()
    r = client.post(
        "/login",
        data={
            "username": "forgetful",
            "password": password,
            "csrf_token": _csrf(client, "/login"),
            "next": "/",
        },
        follow_redirects=False,
    )
    return r.status_code == 303


def test_reset_full_flow_by_mailed_link(
    client: TestClient, session: Session, make_user: Callable[..., Any]
) -> None:
    _user_with_mail(session, make_user)
    before = set(_deliver())
    other = TestClient(client.app)  # another browser signed in to the account
    login_browser(other, "forgetful")
    assert "Forgot password?" in client.get("/login").text

    r = _ask(client, "Forgetful@example.org")
    assert r.status_code == 200
    assert "If an account with that username or e-mail exists, we sent it a link" in r.text
    new = [p for p in _deliver() if p not in before]
    assert len(new) == 1
    mail = message_from_bytes(new[0].read_bytes(), policy=policy.default)
    assert mail["To"] == "forgetful@example.org" and "List-Unsubscribe" not in mail
    path = "/" + _link_in(new[0]).split("/", 3)[3]

    form = client.get(path)
    assert (
        form.status_code == 200
        and "Choose a new password" in form.text
        and "forgetful" in form.text
    )
    short = _set(client, path, "short")
    assert short.status_code == 422 and "Password: use 8 to 256 characters." in short.text
    differ = _set(client, path, NEW, "something else 1")
    assert differ.status_code == 422 and "The two passwords differ" in differ.text

    done = _set(client, path, NEW)
    assert done.status_code == 303
    assert client.get("/profile", follow_redirects=False).status_code == 200  # signed in
    assert other.get("/profile", follow_redirects=False).status_code != 200  # signed out

    again = client.get(path)
    assert again.status_code == 400 and "already used" in again.text
    assert _set(client, path, "third password 3").status_code == 400
    assert not _can_sign_in(client, OLD)
    assert _can_sign_in(client, NEW)


def test_reset_answer_is_the_same_for_unknown_accounts(
    client: TestClient, session: Session, make_user: Callable[..., Any]
) -> None:
    _user_with_mail(session, make_user)
    before = set(_deliver())
    known = _ask(client, "forgetful")
    unknown = _ask(client, "nobody_here")
    strip = lambda html: re.sub(r'content="[^"]*"|value="[^"]*"', "", html)  # noqa: E731 (csrf differs)
    assert known.status_code == unknown.status_code == 200
    assert strip(known.text) == strip(unknown.text)
    assert len([p for p in _deliver() if p not in before]) == 1  # only the real account got mail


def test_reset_link_expired_or_forged_changes_nothing(
    client: TestClient, session: Session, make_user: Callable[..., Any], monkeypatch: Any
) -> None:
    user = _user_with_mail(session, make_user)
    token = reset.make_token(user)
    later = utcnow() + timedelta(minutes=reset.LINK_MINUTES + 1)
    monkeypatch.setattr(reset, "utcnow", lambda: later)
    expired = _set(client, f"/password-reset/{token}", NEW)
    assert expired.status_code == 400 and "expired" in expired.text
    monkeypatch.undo()

    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    r = client.get(f"/password-reset/{forged}")
    assert r.status_code == 400 and "not valid" in r.text
    assert _set(client, f"/password-reset/{forged}", NEW).status_code == 400
    assert _can_sign_in(client, OLD) and not _can_sign_in(client, NEW)


def test_reset_requests_are_limited_per_account(
    client: TestClient, session: Session, make_user: Callable[..., Any]
) -> None:
    _user_with_mail(session, make_user)
    count, _ = reset.RATE_ACCOUNT.split("/")
    for _ in range(int(count)):
        assert _ask(client, "forgetful").status_code == 200
    refused = _ask(client, "FORGETFUL")
    assert refused.status_code == 429 and "Too many password reset requests" in refused.text
    assert "Retry-After" in refused.headers
