"""One rate limit per action: per user when signed in, per client IP otherwise (issue #11).

Edits (each re-embeds), votes, "affects me", searches and answer feedback are cheap to send and
not free to serve. The rates are settings (``CHECKFIRST_RATE_EDIT`` ...); the counting is
``core.ratelimit``'s, so a refusal is a 429 with ``Retry-After`` like every other limit.
"""

from __future__ import annotations

from core.ratelimit import limiter
from core.settings import get_settings


def throttle(action: str, *, rate: str, user_id: int | None, ip: str | None, what: str) -> None:
    """Count one ``action``; raise ``RateLimited`` when the caller is over ``rate``."""
    if not get_settings().rate_limits_enabled:
        return
    who = f"user:{user_id}" if user_id is not None else f"ip:{ip or 'unknown'}"
    limiter.hit(f"{action}-{who}", rate, what=what)
