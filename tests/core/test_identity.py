"""Registration limits, lookalike usernames, token expiry, sign out everywhere and HSTS
(issue #11 item 10 and "also flagged")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.clock import utcnow
from core.settings import get_settings
from tests.conftest import login_browser
from tests.forum.conftest import World
from users.models import ApiToken, AuthSession

API = "/api/v1"


def _register(client: TestClient, username: str) -> Any:
    return client.post(
        f"{API}/auth/register", json={"username": username, "password": "correct horse 1"}
    )


# Registration limit (item 10)


def test_registration_is_limited_per_address(
    app: Any, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "rate_register", "3/3600")
    with TestClient(app, client=("203.0.113.20", 4000)) as c:
        statuses = [_register(c, f"fresh_{i}").status_code for i in range(4)]
        assert statuses == [201, 201, 201, 429]
        r = _register(c, "fresh_9")
        assert int(r.headers["Retry-After"]) >= 1
        assert "Too many new accounts" in r.json()["detail"]
    # Another address is not affected.
    with TestClient(app, client=("203.0.113.21", 4000)) as other:
        assert _register(other, "fresh_other").status_code == 201


def test_registration_form_is_limited_with_retry_after(
    app: Any, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "rate_register", "1/3600")
    with TestClient(app, client=("203.0.113.22", 4000)) as c:
        for i, expected in enumerate((303, 429)):
            c.cookies.clear()
            page = c.get("/register")
            token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
            r = c.post(
                "/register",
                data={"username": f"form_{i}", "password": "correct horse 1", "csrf_token": token},
                follow_redirects=False,
            )
            assert r.status_code == expected, r.text
        assert int(r.headers["Retry-After"]) >= 1
        assert "Too many new accounts" in r.text


# Lookalike usernames


@pytest.mark.parametrize("lookalike", ["dr_pateI", "DR_PATEL", "dr_pate1", "Dr_Patel"])
def test_username_confusable_with_an_existing_one_is_refused(
    client: TestClient, make_user: Any, session: Session, lookalike: str
) -> None:
    make_user("dr_patel", "moderator")
    r = _register(client, lookalike)
    assert r.status_code == 422
    assert "choose another" in r.json()["detail"]
    if lookalike.casefold() != "dr_patel":
        assert "looks too much like the existing 'dr_patel'" in r.json()["detail"]


def test_distinct_usernames_are_still_accepted(client: TestClient, make_user: Any) -> None:
    make_user("dr_patel")
    for name in ("dr_pate", "dr_patel2", "drpatel_x"):
        assert _register(client, name).status_code == 201, name


def test_staff_badge_comes_from_the_role_not_the_display_name(
    client: TestClient, world: World, session: Session
) -> None:
    from tests.forum.conftest import ask

    mod, alice = world.users["mod"], world.users["alice"]
    alice.display_name = "Dr. Anika Patel (Moderator)"
    session.add(alice)
    session.commit()
    t = ask(client, world.headers["alice"])
    reply = client.post(
        f"{API}/threads/{t['thread']['id']}/replies", json={"body": "Look at the tanh."},
        headers=world.headers["mod"],
    )  # fmt: skip
    assert reply.status_code == 201, reply.text
    html = client.get(f"/threads/{t['thread']['id']}").text
    assert f'<span class="badge badge-staff" title="@{mod.username} is a moderator">' in html
    assert f'title="@{alice.username} is a' not in html


# API tokens expire


def test_expired_api_token_is_refused_with_a_clear_message(
    client: TestClient, world: World, session: Session
) -> None:
    headers = world.headers["alice"]
    assert client.get(f"{API}/users/me", headers=headers).status_code == 200
    token = session.exec(select(ApiToken).where(ApiToken.user_id == world.users["alice"].id)).one()
    assert token.expires_at is not None
    assert token.expires_at - utcnow() > timedelta(days=89)
    token.expires_at = utcnow() - timedelta(minutes=1)
    session.add(token)
    session.commit()
    r = client.get(f"{API}/users/me", headers=headers)
    assert r.status_code == 401
    assert "expired" in r.json()["detail"] and "create a new one" in r.json()["detail"]


def test_token_lifetime_is_configurable(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "token_days", 7)
    r = client.post(f"{API}/tokens", json={"name": "short"}, headers=world.headers["bob"])
    assert r.status_code == 201
    from datetime import datetime

    expires = datetime.fromisoformat(r.json()["expires_at"])
    assert timedelta(days=6) < expires - utcnow() <= timedelta(days=7)


# Sign out everywhere


def test_sign_out_everywhere_ends_sessions_and_revokes_personal_tokens(
    app: Any, client: TestClient, world: World, session: Session
) -> None:
    with TestClient(app) as laptop, TestClient(app) as phone:
        login_browser(laptop, "alice")
        token = login_browser(phone, "alice")
        assert laptop.get(f"{API}/users/me").status_code == 200
        r = phone.post(f"{API}/auth/logout-everywhere", headers={"X-CSRF-Token": token})
        assert r.status_code == 200, r.text
        assert "Signed out everywhere" in r.json()["detail"]
        assert laptop.get(f"{API}/users/me").status_code == 401
        assert phone.get(f"{API}/users/me").status_code == 401
    r = client.get(f"{API}/users/me", headers=world.headers["alice"])
    assert r.status_code == 401
    # Other accounts keep theirs.
    assert client.get(f"{API}/users/me", headers=world.headers["bob"]).status_code == 200
    sessions = session.exec(
        select(AuthSession).where(AuthSession.user_id == world.users["alice"].id)
    ).all()
    assert sessions == []


def test_profile_page_has_a_sign_out_everywhere_button(
    app: Any, client: TestClient, world: World
) -> None:
    token = login_browser(client, "alice")
    page = client.get("/profile")
    assert 'action="/profile/sign-out-everywhere"' in page.text
    with TestClient(app) as other:
        login_browser(other, "alice")
        r = client.post(
            "/profile/sign-out-everywhere", data={"csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 303
        assert other.get(f"{API}/users/me").status_code == 401


# HSTS


def test_hsts_is_sent_over_https_when_enabled(
    app: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "hsts", True)
    with TestClient(app, base_url="https://testserver") as secure:
        hsts = secure.get("/login").headers.get("strict-transport-security", "")
        assert hsts.startswith("max-age=31536000")
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/login").headers
    # Behind a configured TLS-terminating proxy, X-Forwarded-Proto says HTTPS.
    monkeypatch.setattr(get_settings(), "trusted_proxies", "10.0.0.1")
    with TestClient(app, client=("10.0.0.1", 4000)) as proxied:
        r = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" in r.headers
    with TestClient(app, client=("192.0.2.9", 4000)) as direct:
        r = direct.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in r.headers


@pytest.mark.nodb
def test_hsts_is_on_by_default_only_in_production() -> None:
    from core.settings import Settings

    assert Settings(env="production", secret_key="x" * 40).hsts_enabled
    assert not Settings(env="development").hsts_enabled
    assert not Settings(env="production", secret_key="x" * 40, hsts=False).hsts_enabled


def test_widget_tokens_do_not_expire_under_an_embedded_widget(
    client: TestClient, world: World, session: Session
) -> None:
    body = {"name": "course page", "scope": "widget"}
    r = client.post(f"{API}/tokens", json=body, headers=world.headers["bob"])
    assert r.status_code == 201
    assert r.json()["expires_at"] is None
    token = session.exec(select(ApiToken).where(ApiToken.name == "course page")).one()
    assert token.expires_at is None
