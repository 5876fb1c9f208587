"""Login initiation and launch are anonymous and each writes a row (a pending login or a kept
refusal): one address cannot flood them (found in review after issue #16)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from lti.models import LtiRefusal
from lti.views import RATE_LTI_IP


def _refusals(session: Session) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(LtiRefusal)).one())


def test_one_address_flooding_login_initiation_is_held_back(
    app: Any, session: Session, db: None
) -> None:
    allowed = int(RATE_LTI_IP.split("/")[0])
    params = {"iss": "https://unknown.example", "login_hint": "x", "target_link_uri": "/"}
    with TestClient(app, client=("203.0.113.90", 4000)) as flooder:
        statuses = [flooder.get("/lti/login", params=params).status_code for _ in range(allowed)]
        assert set(statuses) == {400}  # an unknown platform: refused, and the refusal kept
        held = flooder.get("/lti/login", params=params)
        also_held = flooder.post("/lti/launch", data={"id_token": "x", "state": "y"})
    assert held.status_code == 429
    assert int(held.headers["Retry-After"]) >= 1
    assert "Too many course-platform launches" in held.text
    assert also_held.status_code == 429
    assert _refusals(session) == allowed  # nothing more written once held back
    # Another address (another learner's browser) is not affected.
    with TestClient(app, client=("198.51.100.91", 4000)) as other:
        assert other.get("/lti/login", params=params).status_code == 400
