"""Pages the app serves itself: the offline API docs and the health checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from core.access import Public
from core.errors import NotFound

router = APIRouter(include_in_schema=False)

# The API docs, with Swagger UI's files served from the installed package instead of a CDN.
_SWAGGER_FILES = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}


@router.get("/docs", dependencies=[Public])
def api_docs(request: Request) -> Any:
    from fastapi.openapi.docs import get_swagger_ui_html

    page_html = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Checkfirst API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    ).body
    text = bytes(page_html).decode()
    # The bootstrap script is inline: give it this response's CSP nonce so that it runs.
    nonce = getattr(request.state, "csp_nonce", "")
    return HTMLResponse(text.replace("<script>", f'<script nonce="{nonce}">'))


@router.get("/docs/assets/{name}", dependencies=[Public])
def api_docs_asset(name: str) -> Any:
    import swagger_ui  # swagger-ui-py: Swagger UI 5 (OpenAPI 3.1), shipped as package data

    if name not in _SWAGGER_FILES:
        raise NotFound("No such file.")
    return FileResponse(Path(swagger_ui.__file__).parent / "static" / name)


@router.get("/healthz", dependencies=[Public])
def healthz() -> dict[str, str]:
    """Liveness for load balancers and the test harness."""
    return {"status": "ok"}
