"""Time, in one place: naive UTC datetimes, as the database stores them."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC: SQLModel's datetime columns store and return UTC on SQLite and PostgreSQL."""
    return datetime.now(UTC)
