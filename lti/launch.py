"""OIDC login initiation and launch validation (LTI 1.3 core, IMS Security Framework 5.1).

Signatures are checked by PyJWT against the platform's JWKS (lti/jwks.py); this module decides
which platform, key, audience, deployment, message and browser a launch must match.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from sqlalchemy import update
from sqlmodel import Session, col

from core.clock import utcnow
from core.settings import get_settings
from lti import claims as c
from lti import jwks
from lti.exceptions import LaunchRefused
from lti.models import LtiNonce, LtiPlatform, LtiRefusal
from lti.registry import has_deployment, origin_of, platforms_for_issuer

log = logging.getLogger("checkfirst.lti")

STATE_SECONDS = 600
# Clock skew tolerated between the platform and us on exp/iat.
LEEWAY_SECONDS = 60
STATE_COOKIE_PREFIX = "cf_lti_state_"


def launch_url() -> str:
    return get_settings().base_url.rstrip("/") + "/lti/launch"


def state_cookie(state: str) -> str:
    # One cookie per state: two launches in two tabs do not overwrite each other's binding.
    return STATE_COOKIE_PREFIX + state[:16]


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str


def begin_login(*, session: Session, params: Mapping[str, str]) -> LoginRedirect:
    """Third-party initiated login: remember a fresh state and nonce, and send the browser to
    the platform's authorisation endpoint (``lti_message_hint`` echoed unchanged)."""
    issuer = params.get("iss", "")
    for name in ("iss", "login_hint", "target_link_uri"):
        if not params.get(name):
            raise LaunchRefused(
                f"The login request lacks {name}; start the launch from the course platform.",
                step="login",
                issuer=issuer,
            )
    platform = _platform(
        session=session, issuer=issuer, client_ids=[params["client_id"]] if params.get("client_id")
        else None, step="login",
    )  # fmt: skip
    deployment = params.get("lti_deployment_id")
    if deployment and not has_deployment(
        session=session, platform=platform, deployment_id=deployment
    ):
        raise LaunchRefused(
            f"The deployment {deployment!r} is not registered for {issuer}; ask the site admin "
            "to add it (checkfirst lti add-platform --deployment …).",
            step="login",
            issuer=issuer,
        )
    ours = origin_of(get_settings().base_url)
    if origin_of(params["target_link_uri"]) != ours:
        raise LaunchRefused(
            f"The target link {params['target_link_uri']!r} is not on this site ({ours}).",
            step="login",
            issuer=issuer,
        )
    assert platform.id is not None
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        LtiNonce(
            state=state,
            nonce=nonce,
            platform_id=platform.id,
            created_at=now,
            expires_at=now + timedelta(seconds=STATE_SECONDS),
        )
    )
    session.commit()
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url(),
        "login_hint": params["login_hint"],
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    sep = "&" if "?" in platform.auth_login_url else "?"
    return LoginRedirect(url=platform.auth_login_url + sep + urlencode(query), state=state)


def _platform(
    *, session: Session, issuer: str, client_ids: list[str] | None, step: str
) -> LtiPlatform:
    candidates = platforms_for_issuer(session=session, issuer=issuer)
    if not candidates:
        raise LaunchRefused(
            f"The platform {issuer!r} is not registered here; ask the site admin to register it.",
            step=step,
            issuer=issuer,
        )
    if client_ids is None:
        if len(candidates) > 1:
            raise LaunchRefused(
                f"{issuer} has several registrations here; the platform must send client_id.",
                step=step,
                issuer=issuer,
            )
        return candidates[0]
    for platform in candidates:
        if platform.client_id in client_ids:
            return platform
    raise LaunchRefused(
        f"The message is addressed to client id {', '.join(client_ids)!s}, which is not this "
        f"tool's registration with {issuer} (wrong audience).",
        step=step,
        issuer=issuer,
    )


@dataclass(frozen=True)
class Launch:
    platform: LtiPlatform
    claims: dict[str, Any]

    @property
    def message_type(self) -> str:
        return str(self.claims[c.MESSAGE_TYPE])


def validate_launch(
    *, session: Session, id_token: str, state: str, cookies: Mapping[str, str]
) -> Launch:
    """Everything a launch must satisfy before anything is created for it; the state and its
    nonce are spent last, atomically, so a replayed id_token is refused."""
    if not id_token or not state:
        raise LaunchRefused("The launch lacks id_token or state; start it from the course.")
    row = session.get(LtiNonce, state)
    if row is None or row.purpose != "launch":
        raise LaunchRefused(
            "This launch's state is unknown here (the sign-in was not started by this site, or "
            "it was cleared); launch again from the course."
        )
    if row.used_at is not None:
        raise LaunchRefused("This launch was already used (a replayed id_token); launch again.")
    if row.expires_at <= utcnow():
        raise LaunchRefused("This launch took too long (the state expired); launch again.")
    if not secrets.compare_digest(cookies.get(state_cookie(state), ""), state):
        raise LaunchRefused(
            "This launch was started in another browser (its state cookie is missing here). "
            "If your browser blocks cookies inside the course page, allow them or open "
            "Checkfirst in a new tab."
        )
    try:
        header = jwt.get_unverified_header(id_token)
        unverified: dict[str, Any] = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise LaunchRefused(f"The id_token is not a readable JWT ({exc}).") from exc
    issuer = str(unverified.get("iss", ""))
    aud = unverified.get("aud")
    audiences = [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]
    platform = _platform(session=session, issuer=issuer, client_ids=audiences, step="launch")
    if platform.id != row.platform_id:
        raise LaunchRefused("The launch comes from another platform than its login.", issuer=issuer)
    if header.get("alg") != "RS256":
        raise LaunchRefused(f"The id_token is signed with {header.get('alg')!r}, not RS256.")
    try:
        key = jwks.key_for(platform.key_set_url, header.get("kid"))
    except jwks.KeySetError as exc:
        raise LaunchRefused(f"The id_token's signature cannot be checked: {exc}.") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "nonce", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LaunchRefused("The id_token has expired; launch again.", issuer=issuer) from exc
    except jwt.InvalidSignatureError as exc:
        raise LaunchRefused(
            "The id_token's signature does not match the platform's keys (forged or altered).",
            issuer=issuer,
        ) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise LaunchRefused(f"The id_token lacks the {exc.claim!r} claim.", issuer=issuer) from exc
    except jwt.PyJWTError as exc:
        raise LaunchRefused(f"The id_token is not valid ({exc}).", issuer=issuer) from exc
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != platform.client_id:
        raise LaunchRefused(
            "The id_token's authorised party (azp) is not this tool.", issuer=issuer
        )
    if not secrets.compare_digest(str(claims["nonce"]), row.nonce):
        raise LaunchRefused("The id_token's nonce is not the one this launch sent.", issuer=issuer)
    _check_message(session=session, platform=platform, claims=claims)
    # Spend the state: only one request can flip used_at from NULL.
    spent = session.execute(
        update(LtiNonce)
        .where(col(LtiNonce.state) == state, col(LtiNonce.used_at).is_(None))
        .values(used_at=utcnow())
    )
    session.commit()
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise LaunchRefused("This launch was already used (a replayed id_token); launch again.")
    return Launch(platform=platform, claims=claims)


def _check_message(*, session: Session, platform: LtiPlatform, claims: dict[str, Any]) -> None:
    issuer = platform.issuer
    deployment = claims.get(c.DEPLOYMENT_ID)
    if not isinstance(deployment, str) or not deployment:
        raise LaunchRefused("The launch names no deployment id.", issuer=issuer)
    if not has_deployment(session=session, platform=platform, deployment_id=deployment):
        raise LaunchRefused(
            f"The deployment {deployment!r} is not registered for {issuer}; ask the site admin "
            "to add it.",
            issuer=issuer,
        )
    message_type = claims.get(c.MESSAGE_TYPE)
    if message_type not in c.MESSAGE_TYPES:
        raise LaunchRefused(
            f"The message type {message_type!r} is not one this tool handles "
            "(LtiResourceLinkRequest, LtiDeepLinkingRequest).",
            issuer=issuer,
        )
    if claims.get(c.VERSION) != "1.3.0":
        raise LaunchRefused(
            f"The LTI version {claims.get(c.VERSION)!r} is not 1.3.0.", issuer=issuer
        )
    roles = claims.get(c.ROLES)
    if not isinstance(roles, list) or not roles:
        raise LaunchRefused(
            "The launch carries no roles, so Checkfirst cannot tell a learner from an "
            "instructor; check the tool's privacy settings on the platform.",
            issuer=issuer,
        )
    context = claims.get(c.CONTEXT)
    if not isinstance(context, dict) or not context.get("id"):
        raise LaunchRefused(
            "The launch names no course (context claim); launch from inside a course.",
            issuer=issuer,
        )
    if message_type == c.RESOURCE_LINK_REQUEST:
        link = claims.get(c.RESOURCE_LINK)
        if not isinstance(link, dict) or not link.get("id"):
            raise LaunchRefused("The launch names no resource link.", issuer=issuer)
    else:
        settings = claims.get(c.DEEP_LINKING_SETTINGS)
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise LaunchRefused(
                "The deep-linking request has no deep_link_return_url.", issuer=issuer
            )


def record_refusal(*, session: Session, exc: LaunchRefused, client_ip: str) -> None:
    """Log the refusal and keep it for the admin page (its own transaction)."""
    log.warning("LTI %s refused (%s) from %s: %s", exc.step, exc.issuer, client_ip, exc.message)
    session.rollback()
    session.add(
        LtiRefusal(
            step=exc.step, reason=exc.message[:500], issuer=exc.issuer[:400], client_ip=client_ip
        )
    )
    session.commit()
