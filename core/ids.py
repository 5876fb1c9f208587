"""Row ids as the API accepts them: one bound for every id in a path, query, form or body."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

# Ids are 32-bit integers in PostgreSQL; larger ones cannot name a row (and must not reach SQL).
MAX_ID = 2_147_483_647

# An id in a request body or form: out of range is a 422, not a 500.
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
# An id in the URL path, with the same bounds.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def in_range(value: int) -> bool:
    """Whether an id can name a row at all (checked before it reaches SQL)."""
    return 0 < value <= MAX_ID
