"""CORS for the widget: only allow-listed origins get an Access-Control-Allow-Origin (B2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

ALLOWED = "http://localhost:5111"
OTHER = "http://evil.example"


def make_client(**overrides: object) -> TestClient:
    from app.app import create_app
    from core.settings import get_settings

    settings = get_settings().model_copy(
        update={"cors_origins": [ALLOWED], "index_enabled": False, **overrides}
    )
    return TestClient(create_app(settings))


@pytest.fixture()
def cors_client(db: None) -> Iterator[TestClient]:
    with make_client() as c:
        yield c


def preflight(client: TestClient, path: str, origin: str, method: str = "POST"):  # type: ignore[no-untyped-def]
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_preflight_ask_from_allowed_origin_is_allowed(cors_client: TestClient) -> None:
    r = preflight(cors_client, "/api/v1/ask", ALLOWED)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "Authorization" in r.headers["access-control-allow-headers"]
    assert "Origin" in r.headers["vary"]
    assert "access-control-allow-credentials" not in r.headers


def test_preflight_ask_from_other_origin_is_refused(cors_client: TestClient) -> None:
    r = preflight(cors_client, "/api/v1/ask", OTHER)
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    assert "allow-list" in r.json()["detail"]


def test_preflight_write_endpoint_from_allowed_origin_is_refused(cors_client: TestClient) -> None:
    r = preflight(cors_client, "/api/v1/courses/dl/threads", ALLOWED)
    assert r.status_code == 405
    assert "access-control-allow-origin" not in r.headers


def test_preflight_read_endpoint_from_allowed_origin_allows_get(cors_client: TestClient) -> None:
    r = preflight(cors_client, "/api/v1/courses", ALLOWED, method="GET")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ALLOWED


def test_read_from_allowed_origin_echoes_the_origin(cors_client: TestClient) -> None:
    r = cors_client.get("/api/v1/courses", headers={"Origin": ALLOWED})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "Origin" in r.headers["vary"]
    assert "access-control-allow-credentials" not in r.headers


def test_read_from_other_origin_has_no_allow_origin(cors_client: TestClient) -> None:
    r = cors_client.get("/api/v1/courses", headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in r.headers
    assert "Origin" in r.headers["vary"]


def test_origin_match_is_exact(cors_client: TestClient) -> None:
    for near in ("http://localhost:5112", "https://localhost:5111", "http://localhost"):
        r = cors_client.get("/api/v1/courses", headers={"Origin": near})
        assert "access-control-allow-origin" not in r.headers, near


def test_wildcard_in_settings_allows_nobody(db: None) -> None:
    with make_client(cors_origins=["*"]) as c:
        r = c.get("/api/v1/courses", headers={"Origin": OTHER})
        assert "access-control-allow-origin" not in r.headers
        assert preflight(c, "/api/v1/ask", OTHER).status_code == 403


def test_cors_origins_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import Settings

    monkeypatch.setenv(
        "CHECKFIRST_CORS_ORIGINS", '["http://localhost:5111", "https://lms.example"]'
    )
    assert Settings().cors_origins == ["http://localhost:5111", "https://lms.example"]


def test_widget_script_is_loadable_from_any_page(cors_client: TestClient) -> None:
    r = cors_client.get("/static/widget.js", headers={"Origin": OTHER})
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    assert "attachShadow" in r.text


def test_widget_script_uses_no_unsafe_dom_sinks(cors_client: TestClient) -> None:
    source = cors_client.get("/static/widget.js").text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source
    assert 'credentials: "omit"' in source
