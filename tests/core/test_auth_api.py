"""Registration, sign-in, tokens through the JSON API."""

from fastapi.testclient import TestClient


def test_register_then_login_returns_user_without_password(client: TestClient) -> None:
    r = client.post("/api/v1/auth/register", json={"username": "ada", "password": "s3cret-pass"})
    assert r.status_code == 201, r.text
    assert "password" not in r.text and "hash" not in r.text
    r = client.post("/api/v1/auth/login", json={"username": "ada", "password": "s3cret-pass"})
    assert r.status_code == 200
    assert r.json()["username"] == "ada"
    assert "cf_session" in r.cookies


def test_register_duplicate_username_is_rejected(client: TestClient) -> None:
    body = {"username": "ada", "password": "s3cret-pass"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    r = client.post("/api/v1/auth/register", json={**body, "username": "ADA"})
    assert r.status_code == 422
    assert "taken" in r.json()["detail"]


def test_token_authenticates_and_revoked_token_does_not(client, make_user, token_for) -> None:  # type: ignore[no-untyped-def]
    user = make_user("grace")
    headers = token_for(user)
    assert client.get("/api/v1/users/me", headers=headers).json()["username"] == "grace"
    token_id = client.get("/api/v1/tokens", headers=headers).json()["data"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 200
    r = client.get("/api/v1/users/me", headers=headers)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
