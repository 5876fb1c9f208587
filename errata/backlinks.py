"""A staff post that links an erratum links its thread to the erratum.

When a moderator or instructor answers a thread with a link to an erratum ("this is the known
erratum [#12](/errata/12)"), the thread is about that erratum, as if they had linked it on the
erratum's page (``errata.service.link_thread``): the erratum lists the thread, the thread's
followers hear when it is fixed, and the assistant weighs a learner's match with the thread as
evidence for the erratum (``assistant.threadlinks``, a recorded link). Only the course's staff
link this way: a link makes the erratum's changes reach the thread's followers, so a learner's
post links nothing (as on the erratum's page, where a learner links only threads they wrote).
What counts is who wrote the post: a moderator tidying a learner's post links nothing. An edit
that removes the link leaves the thread linked (unlink it on the erratum's page).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.linear_regex import Pattern
from errata.models import Erratum, ErratumLink
from forum import hooks
from forum.models import Post, Thread
from users.models import User
from users.policy import may_moderate

# "/errata/12" in a Markdown link or a bare URL, on any host ("https://forum.example/errata/12"),
# not "/errata/12/edit". RE2 (``core.linear_regex``), as every regex on user text: linear in
# the body, whatever it holds.
_ERRATUM_PATH = Pattern(r"/errata/([0-9]{1,18})(?:[^\w/]|\z)")
# The most errata one post links; a longer list is no statement about this thread.
MAX_LINKED = 5


def referenced(body: str) -> list[int]:
    """The erratum ids a post's body links, in order, each once."""
    ids: list[int] = []
    for m in _ERRATUM_PATH.finditer(body):
        i = int(m.group(1))
        if i not in ids:
            ids.append(i)
    return ids


def link_from_post(session: Session, thread: Thread, post: Post, user: User) -> None:
    """Link ``thread`` to the errata of its course that ``post`` links, if ``user`` is staff."""
    ids = referenced(post.body)
    if not ids or len(ids) > MAX_LINKED or thread.id is None:
        return
    author = user if user.id == post.author_id else session.get(User, post.author_id)
    if author is None or not may_moderate(session, author, thread.course_id):
        return
    errata = session.exec(
        select(Erratum.id, Erratum.source_thread_id).where(
            col(Erratum.id).in_(ids), Erratum.course_id == thread.course_id
        )
    ).all()
    linked = set(
        session.exec(
            select(ErratumLink.erratum_id).where(
                ErratumLink.thread_id == thread.id, col(ErratumLink.erratum_id).in_(ids)
            )
        ).all()
    )
    for erratum_id, source in errata:
        if erratum_id is None or erratum_id in linked or source == thread.id:
            continue
        try:
            with session.begin_nested():
                session.add(ErratumLink(erratum_id=erratum_id, thread_id=thread.id))
        except IntegrityError:
            pass  # linked at the same moment by another request: the row exists, the post stands


def register() -> None:
    hooks.on_post(link_from_post)
