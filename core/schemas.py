"""Shapes shared by every domain's API."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


# One page of a list: ``data`` holds the page, ``count`` all that match.
class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=256)


class Message(BaseModel):
    detail: str
