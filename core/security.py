"""Password hashing (Argon2id), random tokens, CSRF tokens, and which client sent a request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request

from core.settings import get_settings

# argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile (ACCEPTANCE I1).
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def csrf_token(secret_key: str, binding: str) -> str:
    """A CSRF token bound to the login session (or the anonymous visitor cookie)."""
    return hmac.new(secret_key.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret_key: str, binding: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret_key, binding), presented or "")


def device_token(secret_key: str, user_id: int) -> str:
    """A "known device" mark for a browser that signed in as ``user_id``: signed, not secret."""
    nonce = secrets.token_urlsafe(9)
    mac = hmac.new(secret_key.encode(), f"device:{user_id}:{nonce}".encode(), hashlib.sha256)
    return f"{user_id}.{nonce}.{mac.hexdigest()}"


def device_user(secret_key: str, token: str | None) -> int | None:
    """The user a device mark was issued to, or None when absent or forged."""
    user_id, _, rest = (token or "").partition(".")
    nonce, _, presented = rest.partition(".")
    if not user_id.isdigit() or not nonce:
        return None
    mac = hmac.new(secret_key.encode(), f"device:{user_id}:{nonce}".encode(), hashlib.sha256)
    return int(user_id) if hmac.compare_digest(mac.hexdigest(), presented) else None


# Client address behind reverse proxies (ACCEPTANCE B4)


def _parse_ip(value: str) -> IPv4Address | IPv6Address | None:
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:4711"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:4711"
        value = value.split(":", 1)[0]
    try:
        return ip_address(value)
    except ValueError:
        return None


Networks = Sequence[IPv4Network | IPv6Network]


def _is_trusted(address: IPv4Address | IPv6Address | None, trusted: Networks) -> bool:
    return address is not None and any(address in net for net in trusted)


def forwarded_client(peer: str, forwarded_for: Sequence[str], trusted: Networks) -> str:
    """The client address: the peer, unless the peer is a trusted proxy.

    Behind trusted proxies, the right-most X-Forwarded-For entry that is not itself a trusted
    proxy is the client; entries left of it were written by the client and could be anything.
    """
    if not trusted or not _is_trusted(_parse_ip(peer), trusted):
        return peer
    chain = [part for value in forwarded_for for part in value.split(",") if part.strip()]
    for entry in reversed(chain):
        address = _parse_ip(entry)
        if address is None:
            # A proxy we trust wrote nonsense: keep the last address we can vouch for.
            return peer
        if not _is_trusted(address, trusted):
            return str(address)
        peer = str(address)
    return peer


def forwarded_scheme(
    peer: str, scheme: str, forwarded_proto: Sequence[str], trusted: Networks
) -> str:
    """The scheme the client used: X-Forwarded-Proto counts only from a trusted proxy."""
    if forwarded_proto and _is_trusted(_parse_ip(peer), trusted):
        last = forwarded_proto[-1].split(",")[-1].strip().lower()
        if last in {"http", "https"}:
            return last
    return scheme


def client_ip(request: Request) -> str:
    """The address rate limits count against (X-Forwarded-For only from trusted proxies)."""
    peer = request.client.host if request.client else "unknown"
    return forwarded_client(
        peer, request.headers.getlist("x-forwarded-for"), get_settings().trusted_proxy_networks
    )


def is_https(request: Request) -> bool:
    """Served over HTTPS, directly or (X-Forwarded-Proto) through a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    return (
        forwarded_scheme(
            peer,
            request.url.scheme,
            request.headers.getlist("x-forwarded-proto"),
            get_settings().trusted_proxy_networks,
        )
        == "https"
    )
