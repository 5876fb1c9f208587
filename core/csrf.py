"""CSRF for cookie posts (ACCEPTANCE C3): a token bound to the session or visitor cookie."""

from __future__ import annotations

from fastapi import Request

from core.errors import PermissionDenied
from core.security import csrf_matches, csrf_token
from core.settings import get_settings

SESSION_COOKIE = "cf_session"


# Set for every visitor so that forms posted before signing in (login, register) carry CSRF too.
ANON_COOKIE = "cf_anon"


SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

# Endpoints that receive cross-site form posts by design and prove them otherwise (LTI login
# initiation and launch: a signed id_token and a state bound to the browser; a mail client's
# one-click unsubscribe: a signed link). Filled by the app.
exempt_paths: set[str] = set()


def csrf_binding(request: Request) -> str | None:
    """The session cookie, else the visitor cookie (just issued on a first visit)."""
    return (
        request.cookies.get(SESSION_COOKIE)
        or request.cookies.get(ANON_COOKIE)
        or getattr(request.state, "anon_id", None)
    )


def csrf_for(request: Request) -> str:
    """The token a page embeds in its forms and in a meta tag for fetch()."""
    binding = csrf_binding(request) or ""
    return csrf_token(get_settings().effective_secret_key(), binding)


async def csrf_protect(request: Request) -> None:
    """Refuse unsafe requests that rely on cookies without the page's CSRF token.

    Bearer-token calls carry no ambient authority and are exempt; so are cookie-less JSON calls.
    """
    if request.method in SAFE_METHODS or request.url.path in exempt_paths:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    ctype = request.headers.get("content-type", "")
    is_form = ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
    if SESSION_COOKIE not in request.cookies and not is_form:
        return
    presented = request.headers.get("x-csrf-token")
    if presented is None and is_form:
        form = await request.form()
        value = form.get("csrf_token")
        presented = value if isinstance(value, str) else None
    binding = csrf_binding(request)
    if not binding or not csrf_matches(get_settings().effective_secret_key(), binding, presented):
        raise PermissionDenied("The form's security token is missing or stale; reload the page.")
