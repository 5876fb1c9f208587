"""Which responses registered platforms may frame: LTI pages, and every page of a browser
whose session began with a launch (the learner keeps browsing inside the iframe)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import Scope

from lti.registry import frame_origins

# Set with the launch's session; says nothing secret, only "this browser came through LTI".
LTI_MARKER_COOKIE = "cf_lti"


def frame_ancestors(scope: Scope) -> Sequence[str]:
    if scope.get("type") != "http":
        return ()
    path: str = scope.get("path", "")
    framed = path.startswith("/lti/") and not path.startswith("/lti/admin")
    if not framed:
        for name, value in scope.get("headers", []):
            if name == b"cookie" and (LTI_MARKER_COOKIE + "=").encode() in value:
                framed = True
                break
    return frame_origins() if framed else ()
