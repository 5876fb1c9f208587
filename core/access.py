"""Route policies are declared, never implied: the marker every policy carries, and `public`.

``tests/core/test_authz_walk.py`` walks every route and fails on one whose dependency tree
holds no callable tagged by ``declares`` (deny by default). The user and role policies live
in ``users/policy.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Depends

F = TypeVar("F", bound=Callable[..., Any])


def declares(name: str) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        fn.__policy__ = name  # type: ignore[attr-defined]
        return fn

    return mark


@declares("public")
def public() -> None:
    """Anyone, signed in or not."""


Public = Depends(public)
