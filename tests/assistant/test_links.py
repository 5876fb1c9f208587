"""Words -> identifiers learned from a course's own threads and errata (issue #13): a described
question reaches the name its words go with, without any hand-written list."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from assistant import links
from assistant.links import learn
from assistant.terms import words_key

COURSE = [
    "dW1 is slightly off: the first layer weight gradient differs from the expected output",
    "first layer weight gradient wrong. My dW1 = np.dot(dZ1, X.T) / m",
    "Expected dW1 printed under backward_propagation uses the first layer gradient of v2",
    "db2 differs: the output layer bias gradient should be summed over examples",
    "output layer bias gradient db2 has the wrong shape, use keepdims=True",
    "Cost is nan after many iterations in nn_model, lower the learning rate",
    "nn_model never converges, the cost stays the same every iteration",
    "How do I export the notebook as PDF?",
]


@pytest.mark.nodb
def test_described_words_link_to_the_name_they_go_with() -> None:
    stats = learn(COURSE)
    assert "dw1" in stats.link(["first", "layer", "weight", "gradient"])
    assert "db2" in stats.link(["output", "layer", "bias", "gradient"])
    assert "dw1" not in stats.link(["output", "layer", "bias", "gradient"])


@pytest.mark.nodb
def test_words_seen_once_together_or_everywhere_link_nothing() -> None:
    stats = learn(COURSE)
    assert stats.link(["export", "pdf"]) == set()  # no identifier in that thread
    assert stats.link(["unheard", "words"]) == set()
    assert learn([]).link(["first", "layer"]) == set()


def _course(session: Session, slug: str) -> int:
    from forum.models import Course

    course = Course(slug=slug, title=slug)
    session.add(course)
    session.commit()
    assert course.id is not None
    return course.id


def _thread(session: Session, course_id: int, author_id: int, question: str, *replies: str) -> None:
    from forum.models import Post, Thread

    t = Thread(course_id=course_id, author_id=author_id, title=question[:60])
    session.add(t)
    session.flush()
    assert t.id is not None
    session.add(Post(thread_id=t.id, author_id=author_id, is_question=True, body=question))
    session.add_all(Post(thread_id=t.id, author_id=author_id, body=r) for r in replies)
    session.commit()


def test_links_come_from_the_courses_threads_and_follow_new_posts(
    session: Session, make_user: Any
) -> None:
    author = make_user("links_author", "learner")
    course_id = _course(session, "links-course")
    links.clear()
    words = ["output", "layer", "bias", "gradient"]
    assert links.linked(session, course_id, words) == set()
    for text in COURSE:
        _thread(session, course_id, author.id, text)
    assert "db2" in links.linked(session, course_id, words)
    assert links.linked(session, course_id + 1, words) == set()  # another course's content


@pytest.mark.nodb
def test_a_reply_repeated_under_several_threads_is_boilerplate() -> None:
    stats = learn(
        [],
        [
            ["Same here, following.", "Use keepdims=True."],
            ["same here following"],  # the same words, other case and punctuation
            ["Same here, following!", "Same here, following."],  # counted once per thread
            ["Use keepdims=True."],
        ],
    )
    assert stats.boilerplate == frozenset({words_key("Same here, following.")})
    assert learn([], [["Same here."], ["Same here."]]).boilerplate == frozenset()


def test_boilerplate_replies_are_counted_from_the_courses_threads(
    session: Session, make_user: Any
) -> None:
    author = make_user("boiler_author", "learner")
    course_id = _course(session, "boiler-course")
    for i in range(3):
        _thread(
            session, course_id, author.id, "Any idea?",
            "Solved it, thanks everyone.", f"Reshape to ({i}, 1).",
        )  # fmt: skip
    links.clear()
    # A question post is not a reply: "Any idea?" under every thread is not counted.
    assert links.stats_for(session, course_id).boilerplate == frozenset(
        {words_key("Solved it, thanks everyone.")}
    )
    assert links.stats_for(session, course_id + 1).boilerplate == frozenset()  # another course
