"""Pure ASGI middleware: request body limits and security headers (ACCEPTANCE R2, C2)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.csrf import ANON_COOKIE
from core.security import forwarded_scheme
from core.settings import get_settings


class BodyTooLarge(HTTPException):
    """An HTTPException so that FastAPI's body parsing re-raises it (as 413) instead of
    turning it into "There was an error parsing the body" (400) for a streamed body."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message)


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        message = f"The request body is larger than {limit // 1000} kB; send less."
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send_json(send, 413, message)
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(message)
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, message)


class SecurityHeadersMiddleware:
    """A per-request CSP nonce, security headers on every response, and the anonymous cookie.

    ``frame_ancestors(scope)``: origins allowed to frame this response (LTI platforms embed
    Checkfirst in an iframe); none means ``frame-ancestors 'none'``. A route may add origins
    its page posts a form to in ``request.state.csp_form_action`` (the LTI deep-linking reply).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secure_cookies: bool = False,
        frame_ancestors: Callable[[Scope], Sequence[str]] | None = None,
    ) -> None:
        self.app = app
        self.secure_cookies = secure_cookies
        self.frame_ancestors = frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["csp_nonce"] = nonce
        cookies = _cookie_names(scope)
        new_anon = None
        if ANON_COOKIE.encode() not in cookies:
            new_anon = secrets.token_urlsafe(24)
            state["anon_id"] = new_anon
        path: str = scope.get("path", "")
        hsts = _hsts(scope)
        ancestors = list(self.frame_ancestors(scope)) if self.frame_ancestors else []

        async def send_with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                form_action = list(state.get("csp_form_action", []))
                csp = _csp(nonce, docs=path == "/docs", ancestors=ancestors, actions=form_action)
                headers = list(msg.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not ancestors:
                    # X-Frame-Options cannot name origins; CSP frame-ancestors does when framed.
                    headers.append((b"x-frame-options", b"DENY"))
                if hsts:
                    headers.append((b"strict-transport-security", hsts))
                if new_anon:
                    flags = "; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000"
                    if self.secure_cookies:
                        flags += "; Secure"
                    headers.append((b"set-cookie", f"{ANON_COOKIE}={new_anon}{flags}".encode()))
                msg = {**msg, "headers": headers}
            await send(msg)

        await self.app(scope, receive, send_with_headers)


def _hsts(scope: Scope) -> bytes | None:
    """Strict-Transport-Security, on responses served over HTTPS (browsers ignore it on HTTP)."""
    settings = get_settings()
    if not settings.hsts_enabled:
        return None
    client = scope.get("client")
    protos = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-proto"]
    scheme = forwarded_scheme(
        client[0] if client else "", scope.get("scheme", "http"), protos,
        settings.trusted_proxy_networks,
    )  # fmt: skip
    if scheme != "https":
        return None
    return f"max-age={settings.hsts_max_age}; includeSubDomains".encode()


def _cookie_names(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"cookie":
            return bytes(value)
    return b""


def _csp(
    nonce: str, *, docs: bool, ancestors: Sequence[str] = (), actions: Sequence[str] = ()
) -> str:
    style = "'self'"
    if docs:
        # Swagger UI sets inline styles on its elements; its bootstrap script carries the nonce.
        style += " 'unsafe-inline'"
    frame = " ".join(["'self'", *ancestors]) if ancestors else "'none'"
    form_action = " ".join(["'self'", *actions])
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src {style}; "
        f"img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action {form_action}; "
        f"frame-ancestors {frame}"
    )
