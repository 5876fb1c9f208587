"""Why a launch was refused; the view turns these into a 4xx page and a logged refusal."""

from __future__ import annotations

from core.errors import DomainError


class LaunchRefused(DomainError):
    """A login initiation or launch that fails validation. Nothing is created for it."""

    status = 400

    def __init__(self, message: str, *, step: str = "launch", issuer: str = "") -> None:
        super().__init__(message)
        self.step = step
        self.issuer = issuer


class LaunchForbidden(LaunchRefused):
    """A valid launch asking for something its roles do not allow (deep linking as learner)."""

    status = 403
