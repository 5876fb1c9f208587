"""The tool's own key pairs: the newest signs deep-linking responses, /lti/jwks publishes them."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlmodel import Session, col, select

from lti.models import LtiToolKey

# Keys published at once: the signing key and the one it replaced (platforms cache JWKS).
PUBLISHED_KEYS = 2


def _new_key() -> LtiToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    # The RFC 7638 thumbprint names the key: stable, and different for every key.
    kid = _thumbprint(jwk)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return LtiToolKey(kid=kid, private_pem=pem, public_jwk=json.dumps(jwk))


def _thumbprint(jwk: dict[str, Any]) -> str:
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def rotate_key(*, session: Session) -> LtiToolKey:
    """A new signing key; keys older than the previous one leave the JWKS."""
    key = _new_key()
    session.add(key)
    session.flush()
    keys = session.exec(select(LtiToolKey).order_by(col(LtiToolKey.id).desc())).all()
    for old in keys[PUBLISHED_KEYS:]:
        session.delete(old)
    session.commit()
    session.refresh(key)
    return key


def signing_key(*, session: Session) -> LtiToolKey:
    """The newest key, made on first use so a fresh install needs no step."""
    key = session.exec(select(LtiToolKey).order_by(col(LtiToolKey.id).desc())).first()
    return key if key is not None else rotate_key(session=session)


def public_jwks(*, session: Session) -> dict[str, list[dict[str, Any]]]:
    signing_key(session=session)
    keys = session.exec(select(LtiToolKey).order_by(col(LtiToolKey.id).desc())).all()
    return {"keys": [json.loads(k.public_jwk) for k in keys[:PUBLISHED_KEYS]]}
