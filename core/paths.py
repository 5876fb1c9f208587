"""Where a page sends the browser next: local redirect targets only, and 303 after a form."""

from __future__ import annotations

from fastapi.responses import RedirectResponse


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default``.

    Only local paths: an open redirect (``//evil.example``, ``https://…``) would turn a login or
    moderation form into a phishing aid. Browsers read ``/\\evil.example`` as ``//evil.example``
    and drop tabs and newlines from URLs, so those are refused too.
    """
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return default
    if any(c in target for c in "\t\r\n"):
        return default
    return target


def see_other(url: str) -> RedirectResponse:
    """303 after a form post, so reloading the next page does not post the form again."""
    return RedirectResponse(url, status_code=303)
