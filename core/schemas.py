"""Shapes shared by every domain's API."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


# One page of a list: ``data`` holds the page, ``count`` all that match.
class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int


class Message(BaseModel):
    detail: str
