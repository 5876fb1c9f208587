"""The app factory: middleware, error handling, routers and pages of every domain."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from core import db
from core.access import Public
from core.cors import CorsMiddleware, WidgetScopeMiddleware
from core.csrf import csrf_protect
from core.errors import DomainError, NotAuthenticated
from core.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from core.settings import Settings, get_settings
from core.templating import STATIC_DIR, page

if TYPE_CHECKING:
    from index.runtime import Runtime

API_PREFIX = "/api/v1"
SETTLE_POLL_SECONDS = 0.5


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    retry_after = getattr(exc, "retry_after", None)  # RateLimited, ServiceUnavailable
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if _wants_html(request):
        if isinstance(exc, NotAuthenticated) and request.method == "GET":
            # Keep the query: the assistant's prefilled "post this as a thread" link carries it.
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        response: Response = page(
            request, "error.html", status_code=exc.status, message=exc.message, status=exc.status
        )
        response.headers.update(headers or {})
        return response
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)


BODY_HELP = "send a JSON object as described at /docs"
FASTAPI_PARSE_ERROR = "There was an error parsing the body"


# A reload of a form's target (GET /threads/8/reply after an error) goes back to its page.
_FORM_TARGET = re.compile(r"^/(threads|errata|posts)/(\d{1,18})/[a-z-]+$")
HTML_STATUS_MESSAGES = {
    404: "There is no page at this address. It may have been moved or deleted.",
    405: "This address only receives forms; it has no page of its own.",
}


def _html_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Pages get a page for a missing route or a reload of a POST-only address, never JSON."""
    if exc.status_code == 405 and request.method == "GET":
        match = _FORM_TARGET.match(request.url.path)
        if match and match.group(1) in ("threads", "errata"):
            return RedirectResponse(f"/{match.group(1)}/{match.group(2)}", status_code=303)
    message = HTML_STATUS_MESSAGES.get(exc.status_code, str(exc.detail))
    return page(
        request, "error.html", status_code=exc.status_code, message=message, status=exc.status_code
    )


async def _unparsable_body(request: Request, exc: Exception) -> Response:
    """FastAPI answers a body it cannot parse with a bare "There was an error parsing the body"
    (400); say what was wrong with it instead. Other HTTP errors keep FastAPI's handling."""
    assert isinstance(exc, StarletteHTTPException)
    if _wants_html(request) and exc.status_code in (404, 405):
        return _html_http_error(request, exc)
    cause = exc.__cause__
    if exc.status_code == 400 and exc.detail == FASTAPI_PARSE_ERROR:
        if isinstance(cause, RecursionError):
            reason = "it nests too deeply"
        elif isinstance(cause, UnicodeDecodeError):
            reason = "it is not valid UTF-8"
        else:
            reason = "it is neither valid JSON nor form data"
        detail = f"The request body could not be parsed ({reason}); {BODY_HELP}."
        return JSONResponse({"detail": detail}, status_code=400, headers=exc.headers)
    return await http_exception_handler(request, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if _wants_html(request) and request.method == "GET":
        # /threads/abc: a person followed or typed a bad address; say so on a page.
        return page(
            request, "error.html", status_code=404, status=404,
            message=HTML_STATUS_MESSAGES[404],
        )  # fmt: skip
    if raw and raw[0].get("type") == "json_invalid":
        error = raw[0]
        where = error.get("loc", ("body", "?"))[-1]
        reason = error.get("ctx", {}).get("error", "decode error")
        detail = f"The request body is not valid JSON ({reason} at character {where}); {BODY_HELP}."
        return JSONResponse({"detail": detail, "errors": []}, status_code=422)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in raw
    ]
    summary = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors[:5]
    )
    return JSONResponse({"detail": f"Invalid input: {summary}", "errors": errors}, status_code=422)


def _document_validation_errors(app: FastAPI) -> None:
    """Document the 422 body the app sends: a sentence (and, for bad fields, a list)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        components = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in components:
            components["HTTPValidationError"] = {
                "title": "HTTPValidationError",
                "type": "object",
                "properties": {
                    "detail": {"type": "string", "title": "Detail"},
                    "errors": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/ValidationError"},
                        "title": "Errors",
                    },
                },
                "required": ["detail"],
            }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def register_routers(app: FastAPI) -> None:
    """Every domain's API router and pages. Imported here so that no domain imports the app."""
    from users import router as users_router
    from users import views as users_views

    app.include_router(users_router.router, prefix=API_PREFIX)
    app.include_router(users_views.router)
    from app.views import router as app_pages

    app.include_router(app_pages)
    from forum import router as forum_router
    from forum import views as forum_views

    app.include_router(forum_router.router, prefix=API_PREFIX)
    app.include_router(forum_views.router)
    from errata import router as errata_router
    from errata import views as errata_views

    app.include_router(errata_router.router, prefix=API_PREFIX)
    app.include_router(errata_views.router)
    # The layout (forum pages too) shows the known-errata banner and the header's counts.
    errata_views.register_templates()
    # A staff post that links an erratum links its thread (forum calls back into errata).
    from errata import backlinks

    backlinks.register()
    from assistant import router as assistant_router
    from assistant import views as assistant_views

    app.include_router(assistant_router.router, prefix=API_PREFIX)
    app.include_router(assistant_views.router)
    from index import router as index_router
    from index import views as index_views

    app.include_router(index_router.router, prefix=API_PREFIX)
    app.include_router(index_views.router)
    # Search shows private threads to those who may see them (the forum's rule, issue #17).
    from forum.privacy import search_viewer
    from index import viewers

    viewers.register(search_viewer)
    from notify import router as notify_router
    from notify import views as notify_views

    app.include_router(notify_router.router, prefix=API_PREFIX)
    app.include_router(notify_views.router)
    from lti import views as lti_views

    app.include_router(lti_views.router)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    from app.indexing import register_loaders
    from index.runtime import get_runtime

    register_loaders()
    problem = app.state.settings.shared_secret_problem()
    if problem and app.state.settings.env != "test":  # uvicorn started without `checkfirst serve`
        raise RuntimeError(problem)
    # The indexer thread loads the saved index (or rebuilds it) and tails the outbox; without
    # it (index_enabled=False) searches catch up in their own thread and no model loads here.
    indexer = get_runtime() if app.state.settings.index_enabled else None
    if indexer is not None:
        indexer.start()
    from app.mail import start_worker

    # Mail goes out from this thread, never from a request (issue #15).
    mailer = start_worker(app.state.settings)
    settle = (
        asyncio.create_task(_freeze_after_start(indexer)) if app.state.settings.gc_freeze else None
    )
    yield
    if settle is not None:
        settle.cancel()
    if mailer is not None:
        mailer.stop()
    if indexer is not None:
        indexer.stop(save=True)
    db.reset_engine()


async def _freeze_after_start(indexer: Runtime | None) -> None:
    """Once start-up is over (this process's index loaded and caught up; a follower holds
    none), collect once and move every object left into the garbage collector's permanent
    generation. Those ~244k objects (modules, the loaded index, the model) live as long as the
    process; a full collection walked them all, a 180 ms pause every few hundred asks (the
    slowest ask of ``bench/ask_bench.py``: 190-337 ms before, 57-72 ms frozen). Objects made
    later are collected as before. A process whose indexer thread died is never frozen (its
    searches then catch up in their own thread, ``Runtime.ready``)."""
    while indexer is not None and indexer.role != "follower" and indexer.not_ready_reason():
        await asyncio.sleep(SETTLE_POLL_SECONDS)
    gc.collect()
    gc.freeze()


def _readyz(request: Request) -> JSONResponse:
    """503 until this process's search index is loaded and caught up (``/healthz``: alive)."""
    if not request.app.state.settings.index_enabled:
        return JSONResponse({"status": "ready"})
    from index.runtime import get_runtime

    # Also who serves this server's index (index/shared.py) and how many chunks it encoded.
    status = get_runtime().status()
    reason = status.pop("reason", "")
    if reason:
        return JSONResponse({"status": "not ready", "reason": reason, **status}, status_code=503)
    return JSONResponse({"status": "ready", **status})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Checkfirst",
        version="0.1.0",
        description="Course help that checks the errata first.",
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
        # /docs is served by core/views.py from local Swagger UI files (no CDN: works offline).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _unparsable_body)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    register_routers(app)
    app.add_api_route(
        "/readyz", _readyz, methods=["GET"], include_in_schema=False, dependencies=[Public]
    )
    _document_validation_errors(app)
    from lti.frames import frame_ancestors

    app.add_middleware(
        SecurityHeadersMiddleware,
        secure_cookies=settings.base_url.startswith("https"),
        # LTI pages (and pages of a launched session) may be framed by registered platforms.
        frame_ancestors=frame_ancestors,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Outermost, so that refusals above (413, 429) still reach an allowed widget readably.
    app.add_middleware(
        WidgetScopeMiddleware,
        ask_rate=settings.rate_ask,
        rate_limits_enabled=settings.rate_limits_enabled,
    )
    app.add_middleware(CorsMiddleware, origins=settings.cors_origins)
    return app
