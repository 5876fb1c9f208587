"""Domain exceptions. Services raise these; one handler turns them into HTTP errors."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``status`` is the HTTP status the edge maps it to."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    status = 422


class NotAuthenticated(DomainError):
    status = 401


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class RateLimited(DomainError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """Not ready to answer correctly yet (e.g. the search index is still loading)."""

    status = 503

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
