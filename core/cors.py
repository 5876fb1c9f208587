"""Cross-origin calls from the embeddable widget, and what a widget token may do (ACCEPTANCE B2).

``CorsMiddleware`` echoes ``Access-Control-Allow-Origin`` only for origins listed in
``CHECKFIRST_CORS_ORIGINS``; it never sends ``*`` for the API and never allows credentials (the
widget authenticates with a bearer token, not cookies), and always sends ``Vary: Origin``.
Preflights are answered here, before routing, for the ask endpoint (POST) and the API's read
endpoints (GET).

A widget token (its secret starts with ``cfw_``) sits in public page source, so it speaks for no
one: ``users.auth.resolve_user`` resolves its holder to an anonymous caller on every route.
``WidgetScopeMiddleware`` is the second wall: such a token may only ask and read, so any other
unsafe method is refused before a route runs, and asks with it are rate-limited per token (per
visitor IP in ``assistant.service.check_access``; never against the owner's own budget).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import RateLimited
from core.ratelimit import limiter
from core.security import sha256

API_PREFIX = "/api/v1/"
# Unsafe methods a widget may use cross-origin, and a widget token may use at all.
WIDGET_WRITE_PATHS = frozenset({"/api/v1/ask"})
# Public files other sites load with <script src>; readable from any origin (no credentials).
CROSS_ORIGIN_FILES = frozenset({"/static/widget.js"})
ALLOW_HEADERS = "Authorization, Content-Type, Accept"
EXPOSE_HEADERS = "Retry-After"
PREFLIGHT_MAX_AGE = "600"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WIDGET_TOKEN_PREFIX = "cfw_"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def normalise_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], detail: str | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode() if detail else b""
    if body:
        headers = [*headers, (b"content-type", b"application/json")]
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def allowed_methods(path: str) -> list[str]:
    """What a browser on an allowed origin may call at ``path``."""
    if path in WIDGET_WRITE_PATHS:
        return ["POST"]
    if path.startswith(API_PREFIX):
        return ["GET", "HEAD"]
    return []


class CorsMiddleware:
    """Allow-listed cross-origin access to the ask and read API; nothing else."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.origins = frozenset(normalise_origin(o) for o in origins if o.strip() not in ("*", ""))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        origin = _header(scope, b"origin")
        method: str = scope["method"]
        if path in CROSS_ORIGIN_FILES:
            await self.app(scope, receive, _adding(send, _public_file_headers()))
            return
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = normalise_origin(origin) in self.origins
        methods = allowed_methods(path)
        requested = _header(scope, b"access-control-request-method")
        if method == "OPTIONS" and requested is not None:
            await self._preflight(send, origin, allowed, methods, requested.upper())
            return
        headers = [(b"vary", b"Origin")]
        if allowed and method in methods:
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-expose-headers", EXPOSE_HEADERS.encode()),
            ]
        await self.app(scope, receive, _adding(send, headers))

    async def _preflight(
        self, send: Send, origin: str, allowed: bool, methods: list[str], requested: str
    ) -> None:
        vary = [(b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers")]
        if not allowed:
            detail = "This site may not call Checkfirst; ask its admin to allow-list the origin."
            await _respond(send, 403, vary, detail)
            return
        if requested not in methods:
            await _respond(send, 405, vary, "This endpoint cannot be called from another site.")
            return
        headers = [
            *vary,
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", ", ".join(methods).encode()),
            (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
        ]
        await _respond(send, 204, headers)


def _public_file_headers() -> list[tuple[bytes, bytes]]:
    # A public script: no credentials are ever honoured, so "*" is safe here (and only here).
    return [
        (b"access-control-allow-origin", b"*"),
        (b"cross-origin-resource-policy", b"cross-origin"),
    ]


def _adding(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            for name, value in extra:
                if name == b"vary":
                    # Merge with the app's own Vary rather than replace it.
                    old = [v for k, v in headers if k.lower() == b"vary"]
                    value = b", ".join([*old, value]) if old else value
                headers = [(k, v) for k, v in headers if k.lower() != name]
                headers.append((name, value))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


class WidgetScopeMiddleware:
    """Widget tokens: ask and read only, and asks rate-limited per token."""

    def __init__(self, app: ASGIApp, *, ask_rate: str, rate_limits_enabled: bool = True) -> None:
        self.app = app
        self.ask_rate = ask_rate
        self.rate_limits_enabled = rate_limits_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = _header(scope, b"authorization") or ""
        secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not secret.startswith(WIDGET_TOKEN_PREFIX):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope.get("path", "")
        if method not in SAFE_METHODS and path not in WIDGET_WRITE_PATHS:
            await _respond(send, 403, [], "This widget token may only ask and read.")
            return
        if method == "POST" and path in WIDGET_WRITE_PATHS and self.rate_limits_enabled:
            try:
                limiter.hit(f"ask-token:{sha256(secret)}", self.ask_rate, what="questions")
            except RateLimited as exc:
                headers = [(b"retry-after", str(exc.retry_after).encode())]
                await _respond(send, 429, headers, exc.message)
                return
        await self.app(scope, receive, send)
