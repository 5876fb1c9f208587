"""The thread or post a URL names, loaded once per request, or a 404 (dispatch-style lookups).

``ThreadDep`` binds the ``{thread_id}`` path parameter, ``PostDep`` binds ``{post_id}`` and
``PostThreadDep`` is that post's thread (chained on ``PostDep``, so the post is loaded once).
Deleted threads and posts, and the replies of a deleted thread, are a 404 for everyone: staff
included, as the pages have always had it; a private thread and its replies are a 404 for all
but its author and the course's staff. An id beyond ``core.ids.MAX_ID`` names nothing, so it
is the same 404 rather than a database error.

These dependencies declare no policy: a route still takes ``CurrentUser``/``OptionalUser``
(and lists it before the lookup, so an anonymous write is a 401 before it is a 404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from core.db import SessionDep
from core.errors import NotFound
from forum import service
from forum.models import Post, Thread
from users.policy import OptionalUser


def valid_thread_id(thread_id: int, session: SessionDep, viewer: OptionalUser) -> Thread:
    # A private thread someone may not see is the same 404 as no thread (issue #17).
    thread = service.visible_thread(session=session, thread_id=thread_id, viewer=viewer)
    if thread is None:
        raise NotFound(f"There is no thread {thread_id}; it may have been deleted.")
    return thread


def valid_post_id(post_id: int, session: SessionDep, viewer: OptionalUser) -> Post:
    post = service.visible_post(session=session, post_id=post_id, viewer=viewer)
    if post is None:
        raise NotFound(f"There is no post {post_id}; it may have been deleted.")
    return post


def thread_of_post(post: Annotated[Post, Depends(valid_post_id)], session: SessionDep) -> Thread:
    # valid_post_id checked the thread is visible; this reads it from the session's identity map.
    thread = session.get(Thread, post.thread_id)
    assert thread is not None
    return thread


ThreadDep = Annotated[Thread, Depends(valid_thread_id)]
PostDep = Annotated[Post, Depends(valid_post_id)]
PostThreadDep = Annotated[Thread, Depends(thread_of_post)]
