"""ACCEPTANCE A1: every route declares a policy from core/policy.py (deny by default)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


def _policies(dependant: Dependant) -> set[str]:
    found: set[str] = set()
    call: Any = dependant.call
    name = getattr(call, "__policy__", None)
    if name:
        found.add(name)
    for sub in dependant.dependencies:
        found |= _policies(sub)
    return found


def _api_routes(routes: Any) -> list[APIRoute]:
    """Every APIRoute, including those inside included routers (FastAPI wraps them lately)."""
    try:
        from fastapi.routing import _iter_routes_with_context  # type: ignore[attr-defined]
    except ImportError:  # older FastAPI: included routes are flat in app.routes
        return [r for r in routes if isinstance(r, APIRoute)]
    return [r for r, _ in _iter_routes_with_context(routes) if isinstance(r, APIRoute)]


def test_every_route_declares_a_policy(app: Any) -> None:
    offenders = []
    checked = 0
    for route in _api_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        checked += 1
        if not _policies(route.dependant):
            offenders.append(f"{sorted(route.methods)} {route.path} ({route.endpoint.__name__})")
    assert checked > 20
    assert not offenders, "routes without a declared policy:\n" + "\n".join(offenders)


@pytest.mark.nodb
def test_walk_detects_a_route_without_policy() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/open")
    def open_route() -> dict[str, str]:
        return {}

    route = next(r for r in app.routes if isinstance(r, APIRoute))
    assert _policies(route.dependant) == set()
