"""Assistant fixtures: a small course with errata in every state and threads, indexed for real."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import Session

RNN_CORRECTED = """a_next[4] = [ 0.59584544  0.18141802  0.61311866  0.99808218  0.85016201
  0.99980978 -0.18887155  0.99815551  0.6531151   0.82872037]
a_next.shape = (5, 10)"""
RNN_PUBLISHED = """a_next[4] = [-0.66408471  0.18141802  0.61311866  0.99808218  0.85016201
  0.99980978 -0.18887155  0.99815551  0.6531151   0.82872037]
a_next.shape = (5, 10)"""


@dataclass
class World:
    course_id: int = 0
    assignment_id: int = 0
    errata: dict[str, int] = field(default_factory=dict)
    threads: dict[str, int] = field(default_factory=dict)
    posts: dict[str, int] = field(default_factory=dict)


def _erratum(session: Session, world: World, key: str, reporter: int, **fields: Any) -> None:
    from errata.models import Erratum

    e = Erratum(
        course_id=world.course_id, assignment_id=world.assignment_id, reporter_id=reporter,
        external_id=key, **fields,
    )  # fmt: skip
    session.add(e)
    session.flush()
    assert e.id is not None
    world.errata[key] = e.id


def _thread(
    session: Session, world: World, key: str, author: int, title: str, body: str,
    answer: str | None = None,
) -> None:  # fmt: skip
    from forum.models import Post, Thread

    t = Thread(
        course_id=world.course_id, assignment_id=world.assignment_id, author_id=author,
        title=title, external_id=key,
    )  # fmt: skip
    session.add(t)
    session.flush()
    assert t.id is not None
    session.add(Post(thread_id=t.id, author_id=author, is_question=True, body=body))
    if answer:
        reply = Post(thread_id=t.id, author_id=author, body=answer, external_id=key + "-a")
        session.add(reply)
        session.flush()
        t.accepted_post_id = reply.id
        t.reply_count = 1
        assert reply.id is not None
        world.posts[key + "-a"] = reply.id
    world.threads[key] = t.id


def world_staff(session: Session) -> int:
    """The id of the world's moderator (``staff_member``)."""
    from sqlmodel import select

    from users.models import User

    user = session.exec(select(User).where(User.username == "staff_member")).one()
    assert user.id is not None
    return user.id


def report_from(session: Session, world: World, erratum: str, thread: str | None) -> None:
    """Record (or clear, with None) the thread ``erratum`` was reported from, and commit."""
    from errata.models import Erratum

    e = session.get(Erratum, world.errata[erratum])
    assert e is not None
    e.source_thread_id = world.threads[thread] if thread else None
    session.add(e)
    session.commit()


@contextmanager
def indexed(session: Session) -> Iterator[None]:
    """Commit what the test wrote and index it for real; the index is dropped afterwards."""
    from app.indexing import register_loaders
    from index.runtime import get_runtime

    session.commit()
    register_loaders()
    runtime = get_runtime()
    runtime.rebuild_now()
    yield
    runtime.reset()


@pytest.fixture()
def world(session: Session, make_user: Any) -> Iterator[World]:
    """One course (dl-seq), one assignment (rnn-step-by-step) and a handful of items, indexed."""
    from errata.models import ErratumKind as K
    from errata.models import ErratumStatus as S
    from forum.models import Assignment, Course

    staff = make_user("staff_member", "moderator")
    course = Course(slug="dl-seq", title="Sequence Models")
    session.add(course)
    session.flush()
    assert course.id is not None
    a = Assignment(course_id=course.id, slug="rnn-step-by-step", title="RNN step by step",
                   notebook_version="4")  # fmt: skip
    session.add(a)
    session.flush()
    assert a.id is not None
    w = World(course_id=course.id, assignment_id=a.id)
    _erratum(
        session, w, "e-rnn-cell", staff.id, status=S.verified,
        title="rnn_cell_forward: expected a_next[4] has the wrong sign in its first value",
        description="The expected output printed under rnn_cell_forward shows a_next[4][0] as "
        "-0.66408471. The correct value is 0.59584544; the test used an old random seed.",
        location="rnn_cell_forward", published_output=RNN_PUBLISHED,
        corrected_output=RNN_CORRECTED, workaround="Ignore the printed value; the grader is right.",
    )  # fmt: skip
    _erratum(
        session, w, "e-lstm-backward", staff.id, status=S.fixed, fixed_in="3a", kind=K.wrong_test,
        title="lstm_backward_test fails with Wrong values for dWf although the code is right",
        description="The test compared dWf against gradients computed with a transposed "
        "forget gate. Fixed in notebook version 3a.",
        location="lstm_backward_test",
    )  # fmt: skip
    _erratum(
        session, w, "e-lstm-backward-2", staff.id, status=S.verified, kind=K.wrong_test,
        title="lstm_backward: Wrong values for dWf when dc_next is not reset between steps",
        description="In version 4 the test still reports Wrong values for dWf if da_next is "
        "accumulated; the test's expected dWf assumes dc_next reset each step.",
        location="lstm_backward_test",
    )  # fmt: skip
    _erratum(
        session, w, "e-softmax-rejected", staff.id, status=S.rejected,
        title="softmax in rnn_forward gives different yt_pred values than the notebook",
        description="Reported: yt_pred differs from the expected output.",
        published_output="yt_pred[1] = [0.9888161  0.01682021 0.21140899]",
        corrected_output="yt_pred[1] = [0.7 0.2 0.1]",
        resolution_note="Not an erratum: the softmax must be taken over axis 0 (the classes), "
        "not axis 1. With axis=0 you get the notebook's values.",
    )  # fmt: skip
    _erratum(
        session, w, "e-gru-reported", staff.id, status=S.reported,
        title="gru_cell: expected output for h_next uses the wrong update gate",
        description="My h_next differs from the expected output in all values.",
        location="gru_cell",
    )  # fmt: skip
    _thread(
        session, w, "t-shapes", staff.id,
        "ValueError: shapes (5,3) and (10,1) not aligned in rnn_forward",
        "I get ValueError: shapes (5,3) and (10,1) not aligned when calling rnn_forward. "
        "What am I doing wrong?",
        answer="You are multiplying Wax by the whole x instead of the time slice x[:, :, t]. "
        "Index the input at time step t before calling rnn_cell_forward.",
    )  # fmt: skip
    _thread(
        session, w, "t-install", staff.id, "How do I download the notebook as PDF?",
        "Is there a way to export the notebook as PDF for my notes?",
    )  # fmt: skip
    with indexed(session):
        yield w
