"""The API docs work offline: Swagger UI's files come from this server, not a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_docs_page_loads_swagger_ui_from_this_server(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/docs/assets/swagger-ui-bundle.js" in urls
    assert all(u.startswith("/") for u in urls), urls
    assert "cdn." not in r.text
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert len(js.content) > 100_000
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Checkfirst"


def test_docs_assets_serve_only_known_files(client: TestClient) -> None:
    assert client.get("/docs/assets/index.html").status_code == 404
    assert client.get("/docs/assets/..%2F..%2F__init__.py").status_code == 404
