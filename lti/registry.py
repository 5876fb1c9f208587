"""Platform registrations: add one (CLI), find one for a message, the origins that may frame us."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from core.db import get_engine
from core.errors import InvalidInput
from lti.models import LtiDeployment, LtiPlatform


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{name} must be an http(s) URL, got {url!r}.")
    return url.strip()


def add_platform(
    *,
    session: Session,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_ids: list[str],
    frame_origins: list[str] | None = None,
) -> LtiPlatform:
    """Register a platform (or update the one with this issuer and client id) and its
    deployments. Frame origins default to the issuer's and the login URL's origins."""
    if not issuer.strip() or not client_id.strip():
        raise InvalidInput("The issuer and the client id are required.")
    urls = {
        "auth_login_url": _check_url("--auth-url", auth_login_url),
        "auth_token_url": _check_url("--token-url", auth_token_url),
        "key_set_url": _check_url("--jwks-url", key_set_url),
    }
    origins = [origin_of(_check_url("--frame-origin", o)) for o in frame_origins or []]
    if not origins:
        origins = sorted({o for o in (origin_of(issuer), origin_of(auth_login_url)) if o})
    platform = session.exec(
        select(LtiPlatform).where(
            LtiPlatform.issuer == issuer.strip(), LtiPlatform.client_id == client_id.strip()
        )
    ).first()
    if platform is None:
        platform = LtiPlatform(
            issuer=issuer.strip(), client_id=client_id.strip(), auth_login_url="",
            auth_token_url="", key_set_url="",
        )  # fmt: skip
    for name, value in urls.items():
        setattr(platform, name, value)
    platform.frame_origins = " ".join(origins)
    session.add(platform)
    session.flush()
    assert platform.id is not None
    known = set(
        session.exec(
            select(LtiDeployment.deployment_id).where(LtiDeployment.platform_id == platform.id)
        ).all()
    )
    for deployment_id in deployment_ids:
        if deployment_id.strip() and deployment_id.strip() not in known:
            session.add(LtiDeployment(platform_id=platform.id, deployment_id=deployment_id.strip()))
            known.add(deployment_id.strip())
    session.commit()
    session.refresh(platform)
    _origins_cache.clear()
    return platform


def platforms_for_issuer(*, session: Session, issuer: str) -> list[LtiPlatform]:
    return list(
        session.exec(
            select(LtiPlatform).where(LtiPlatform.issuer == issuer).order_by(col(LtiPlatform.id))
        ).all()
    )


def has_deployment(*, session: Session, platform: LtiPlatform, deployment_id: str) -> bool:
    return (
        session.exec(
            select(LtiDeployment.id).where(
                LtiDeployment.platform_id == platform.id,
                LtiDeployment.deployment_id == deployment_id,
            )
        ).first()
        is not None
    )


def list_platforms(*, session: Session) -> list[tuple[LtiPlatform, list[str]]]:
    platforms = session.exec(select(LtiPlatform).order_by(col(LtiPlatform.issuer))).all()
    return [
        (
            p,
            list(
                session.exec(
                    select(LtiDeployment.deployment_id)
                    .where(LtiDeployment.platform_id == p.id)
                    .order_by(col(LtiDeployment.deployment_id))
                ).all()
            ),
        )
        for p in platforms
    ]


# The frame-ancestors list is read on every framed response: kept for a short while per
# process (a platform added through the CLI in another process shows up within that time).
ORIGINS_SECONDS = 30.0
_origins_cache: dict[str, tuple[float, list[str]]] = {}
_origins_lock = threading.Lock()


def frame_origins() -> list[str]:
    """Origins of every registered platform, for CSP ``frame-ancestors``."""
    now = time.monotonic()
    with _origins_lock:
        cached = _origins_cache.get("all")
        if cached is not None and now - cached[0] < ORIGINS_SECONDS:
            return cached[1]
    with Session(get_engine()) as session:
        rows = session.exec(select(LtiPlatform.frame_origins)).all()
    origins = sorted({o for row in rows for o in row.split() if o})
    with _origins_lock:
        _origins_cache["all"] = (now, origins)
    return origins
