"""Demo content for the forum (filled in by the forum work)."""

from sqlmodel import Session


def load(session: Session) -> None:
    """Add the demo programme's courses, assignments, users and threads."""
