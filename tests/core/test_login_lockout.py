"""Sign-in limits count failures only, on one normalised username, and never lock the owner out
of their own known browser (issue #11 item 3 and "anyone can lock any account")."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from core.csrf import SESSION_COOKIE
from tests.forum.conftest import World
from users.auth import DEVICE_COOKIE

LOGIN = "/api/v1/auth/login"
PASSWORD = "correct horse 1"


def test_padded_or_recased_usernames_share_one_account_counter(
    app: Any, client: TestClient, world: World
) -> None:
    statuses = []
    for i in range(11):
        # Each attempt from its own address, so only the per-account counter can stop them.
        with TestClient(app, client=(f"10.0.2.{i + 1}", 4000)) as c:
            name = ("alice" if i % 2 else "ALICE") + " " * i
            r = c.post(LOGIN, json={"username": name, "password": "wrong"})
            statuses.append(r.status_code)
    assert statuses == [401] * 10 + [429]


def test_username_is_found_however_it_is_padded_or_cased(client: TestClient, world: World) -> None:
    r = client.post(LOGIN, json={"username": "  Alice ", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["username"] == "alice"


def test_owner_signs_in_from_known_device_while_attacker_is_held_back(
    app: Any, world: World
) -> None:
    owner = TestClient(app, client=("192.0.2.10", 4000))
    with owner:
        r = owner.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 200
        assert owner.cookies.get(DEVICE_COOKIE)
        owner.cookies.delete(SESSION_COOKIE)  # signed out, the browser still known

        with TestClient(app, client=("203.0.113.66", 4000)) as attacker:
            statuses = [
                attacker.post(LOGIN, json={"username": "alice", "password": f"guess{i}"})
                for i in range(11)
            ]
        assert [r.status_code for r in statuses] == [401] * 10 + [429]
        assert int(statuses[-1].headers["Retry-After"]) >= 1
        assert "Too many sign-in attempts" in statuses[-1].json()["detail"]

        # The owner's own browser gets in with the right password ...
        r = owner.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 200, r.text
    # ... while a browser the account has never used is still held back.
    with TestClient(app, client=("198.51.100.3", 4000)) as stranger:
        r = stranger.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 429


def test_forged_device_cookie_does_not_lift_the_account_limit(app: Any, world: World) -> None:
    with TestClient(app, client=("203.0.113.67", 4000)) as attacker:
        for i in range(10):
            attacker.post(LOGIN, json={"username": "alice", "password": f"guess{i}"})
    alice_id = world.users["alice"].id
    with TestClient(app, client=("198.51.100.4", 4000)) as forger:
        forger.cookies.set(DEVICE_COOKIE, f"{alice_id}.abc.{'0' * 64}")
        r = forger.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 429


def test_twenty_successful_sign_ins_from_one_address_are_never_limited(
    app: Any, world: World
) -> None:
    # A classroom behind one address: every learner signs in, some twice.
    with TestClient(app, client=("192.0.2.200", 4000)) as classroom:
        for i in range(20):
            classroom.cookies.clear()
            name = ("alice", "bob")[i % 2]
            r = classroom.post(LOGIN, json={"username": name, "password": PASSWORD})
            assert r.status_code == 200, (i, r.text)


def test_login_form_also_exempts_the_known_device(app: Any, world: World) -> None:
    from tests.conftest import login_browser

    with TestClient(app, client=("192.0.2.11", 4000)) as owner:
        login_browser(owner, "alice")
        owner.cookies.delete(SESSION_COOKIE)
        with TestClient(app, client=("203.0.113.68", 4000)) as attacker:
            for i in range(10):
                attacker.post(LOGIN, json={"username": "alice", "password": f"guess{i}"})
        login_browser(owner, "alice")
        assert owner.get("/api/v1/users/me").json()["username"] == "alice"
