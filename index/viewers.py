"""Who is searching, for the search routes.

The index knows no users or roles (it is a lower layer than both), so it cannot tell who a
request comes from. The app registers a resolver at start-up (``app/app.py``: the forum's
privacy rule); until one is registered, every search is public-documents-only, the safe default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from core.db import SessionDep
from index.types import Viewer

Resolver = Callable[[Request, Session], Viewer | None]
_resolver: Resolver | None = None


def register(resolver: Resolver | None) -> None:
    global _resolver
    _resolver = resolver


def viewer_of(request: Request, session: SessionDep) -> Viewer | None:
    return _resolver(request, session) if _resolver is not None else None


ViewerDep = Annotated[Viewer | None, Depends(viewer_of)]
