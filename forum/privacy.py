"""Who may see a thread, and under which name a post is shown (issue #17).

A private thread is visible to its author and the course's staff (instructors of the course,
site moderators and admins) only. An anonymous post is shown to everyone else under the
thread's alias: "Anonymous learner" and an animal with a number, derived from a secret salt
kept per thread, so a conversation can be followed inside one thread but the same learner's
aliases in two threads have nothing in common. Staff see the real author with a marker; the
author sees their own post marked as anonymous. Every page, API, feed and notification asks
here, so the rule lives in one place.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import false, or_, true
from sqlmodel import Session, col

from forum.models import Post, Thread
from index.types import Viewer
from users.models import User
from users.policy import moderated_course_ids, optional_user

ANONYMOUS = "Anonymous learner"
_ANIMALS = (
    "Albatross", "Alpaca", "Axolotl", "Badger", "Beaver", "Bison", "Capybara", "Caracal",
    "Cheetah", "Chinchilla", "Cormorant", "Coyote", "Crane", "Dingo", "Dolphin", "Dormouse",
    "Eagle", "Echidna", "Egret", "Falcon", "Ferret", "Flamingo", "Gazelle", "Gecko", "Gibbon",
    "Heron", "Hedgehog", "Ibex", "Ibis", "Jackal", "Jaguar", "Kestrel", "Kingfisher", "Koala",
    "Lemur", "Lynx", "Macaw", "Manatee", "Marmot", "Meerkat", "Mongoose", "Narwhal", "Ocelot",
    "Okapi", "Osprey", "Otter", "Panda", "Pangolin", "Pelican", "Penguin", "Puffin", "Quokka",
    "Raven", "Salamander", "Seal", "Sparrow", "Stoat", "Tapir", "Tern", "Toucan", "Vole",
    "Walrus", "Wombat", "Yak",
)  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """What one viewer may see: their id, and the courses they are staff of (None = all)."""

    user_id: int | None
    staff_courses: frozenset[int] | None

    def is_staff(self, course_id: int) -> bool:
        return self.staff_courses is None or course_id in self.staff_courses

    def index_viewer(self) -> Viewer:
        """The same scope as the search index's filter takes it."""
        return Viewer(user_id=self.user_id, staff_course_ids=self.staff_courses)


PUBLIC = Scope(user_id=None, staff_courses=frozenset())


def scope_of(session: Session, user: User | None) -> Scope:
    if user is None or user.id is None:
        return PUBLIC
    courses = moderated_course_ids(session, user)
    return Scope(user_id=user.id, staff_courses=None if courses is None else frozenset(courses))


def search_viewer(request: Request, session: Session) -> Viewer | None:
    """Who a search request comes from, as the index's visibility filter takes it (registered
    with ``index.viewers`` by the app); signed out or a widget token: public documents only."""
    user = optional_user(request, session)
    return None if user is None else scope_of(session, user).index_viewer()


def may_see(scope: Scope, thread: Thread) -> bool:
    """A public thread, or a private one seen by its author or the course's staff."""
    if not thread.is_private:
        return True
    return thread.author_id == scope.user_id or scope.is_staff(thread.course_id)


def can_see(session: Session, user: User | None, thread: Thread) -> bool:
    return may_see(scope_of(session, user), thread)


def visible_clause(scope: Scope) -> Any:
    """The SQL form of ``may_see`` for lists and counts of threads."""
    if scope.staff_courses is None:
        return true()
    allowed: list[Any] = [col(Thread.is_private).is_(False)]
    if scope.user_id is not None:
        allowed.append(col(Thread.author_id) == scope.user_id)
    if scope.staff_courses:
        allowed.append(col(Thread.course_id).in_(sorted(scope.staff_courses)))
    return or_(*allowed) if allowed else false()


def public_clause() -> Any:
    """Threads anyone may see (feeds, exports and counts shown to everyone)."""
    return col(Thread.is_private).is_(False)


def new_salt() -> str:
    return secrets.token_hex(16)


def ensure_salt(thread: Thread) -> str:
    """The thread's alias salt, made on first need (threads older than issue #17 have none)."""
    if not thread.alias_salt:
        thread.alias_salt = new_salt()
    return thread.alias_salt


def alias(thread: Thread, user_id: int) -> str:
    """The stable alias of ``user_id`` in this thread, e.g. "Anonymous learner (Otter 42)"."""
    salt = thread.alias_salt or ""
    digest = hmac.new(salt.encode(), f"alias:{user_id}".encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:8], "big")
    return f"{ANONYMOUS} ({_ANIMALS[n % len(_ANIMALS)]} {10 + (n // len(_ANIMALS)) % 90})"


def hides_author(scope: Scope, thread: Thread, post: Post) -> bool:
    """Whether this viewer must see the post's alias rather than its author."""
    if not post.is_anonymous:
        return False
    return post.author_id != scope.user_id and not scope.is_staff(thread.course_id)


def public_name(thread: Thread, post: Post, name: str) -> str:
    """The name under which a post reaches people who are not staff (mail, notifications)."""
    return alias(thread, post.author_id) if post.is_anonymous else name
