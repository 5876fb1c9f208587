"""What other domains do when a post is written.

Forum sits below errata (and the assistant), so it cannot call them; they register a function
here at start-up (``errata.backlinks.register``), and the forum calls every registered function
inside the transaction that writes the post: what they add commits, or rolls back, with it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from forum.models import Post, Thread
from users.models import User

PostHook = Callable[[Session, Thread, Post, User], None]
_after_post: list[PostHook] = []


def on_post(hook: PostHook) -> None:
    """Call ``hook(session, thread, post, author)`` whenever a post is written or edited."""
    if hook not in _after_post:
        _after_post.append(hook)


def post_written(session: Session, thread: Thread, post: Post, user: User) -> None:
    for hook in _after_post:
        hook(session, thread, post, user)
