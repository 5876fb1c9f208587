"""The staff's privacy actions (issue #17): whether a course allows anonymous posts, and making
an answered private thread public. The rule for who sees what is ``forum.privacy``.
"""

from __future__ import annotations

from sqlmodel import Session, select

from core.errors import Conflict, PermissionDenied
from forum import privacy, service
from forum.models import Course, Post, Thread
from users.models import User
from users.policy import may_moderate


def set_allow_anonymous(*, session: Session, user: User, course: Course, value: bool) -> Course:
    """Whether learners may post anonymously to classmates in this course (its staff decide)."""
    assert course.id is not None
    if not may_moderate(session, user, course.id):
        raise PermissionDenied("Only moderators and this course's instructors can change this.")
    course.allow_anonymous = value
    session.add(course)
    session.commit()
    session.refresh(course)
    return course


def make_public(*, session: Session, user: User, thread: Thread, anonymous: bool = False) -> Thread:
    """Staff open a private thread to the class once it is answered; ``anonymous`` hides the
    asker (and their replies in it) from classmates."""
    if not service.can_moderate(session=session, user=user, thread=thread):
        raise PermissionDenied(
            "Only moderators and this course's instructors can make a private thread public."
        )
    if not thread.is_private:
        return thread
    if thread.accepted_post_id is None and not _has_staff_reply(session, thread):
        raise Conflict("Answer this thread first; a private thread is made public once answered.")
    thread.is_private = False
    if anonymous:
        privacy.ensure_salt(thread)
        thread.is_anonymous = True
        for post in session.exec(
            select(Post).where(Post.thread_id == thread.id, Post.author_id == thread.author_id)
        ).all():
            post.is_anonymous = True
            session.add(post)
    session.add(thread)
    service.reindex_thread(session, thread)
    session.commit()
    session.refresh(thread)
    return thread


def _has_staff_reply(session: Session, thread: Thread) -> bool:
    for reply in service.list_replies(session=session, thread=thread):
        if reply.deleted_at is None and reply.author_id != thread.author_id:
            author = session.get(User, reply.author_id)
            if may_moderate(session, author, thread.course_id):
                return True
    return False
