"""Errata fixtures: a course with an assignment, its instructor, and users of every role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session

from errata.models import Erratum
from errata.schemas import ErratumCreate
from forum.models import Assignment, Course
from tests.index.conftest import encoder, index_runtime  # noqa: F401 — "similar" searches the index
from users.models import CourseRole, User


@dataclass
class World:
    course: Course
    other_course: Course
    assignment: Assignment
    learner: User
    other_learner: User
    instructor: User
    other_instructor: User
    moderator: User
    admin: User


@pytest.fixture()
def world(session: Session, make_user: Callable[..., Any]) -> World:
    course = Course(slug="sequence-models", title="Sequence Models")
    other = Course(slug="convolutional-neural-networks", title="Convolutional Neural Networks")
    session.add_all([course, other])
    session.commit()
    assignment = Assignment(
        course_id=course.id,
        slug="building-rnn-step-by-step",
        title="Building your RNN step by step",
        notebook_version="3a",
    )
    session.add(assignment)
    session.commit()
    instructor = make_user("ins_here")
    other_instructor = make_user("ins_there")
    session.add(CourseRole(user_id=instructor.id, course_id=course.id, role="instructor"))
    session.add(CourseRole(user_id=other_instructor.id, course_id=other.id, role="instructor"))
    session.commit()
    return World(
        course=course,
        other_course=other,
        assignment=assignment,
        learner=make_user("learner_a"),
        other_learner=make_user("learner_b"),
        instructor=instructor,
        other_instructor=other_instructor,
        moderator=make_user("mod", "moderator"),
        admin=make_user("root", "admin"),
    )


@pytest.fixture()
def report(session: Session, world: World) -> Callable[..., Erratum]:
    """Report an erratum through the service (as the world's learner unless told otherwise)."""
    from errata import service

    def make(user: User | None = None, **fields: Any) -> Erratum:
        data = {
            "course": world.course.slug,
            "assignment": world.assignment.slug,
            "title": "rnn_forward expected a_next[4][1] is wrong",
            "description": "The expected output of rnn_forward doesn't match the formula.",
            "location": "rnn_forward",
            "published_output": "a_next[4] = [ 0.59584544  0.18141802]",
            "corrected_output": "a_next[4] = [-0.99999375  0.77911235]",
            **fields,
        }
        return service.report(
            session=session, user=user or world.learner, data=ErratumCreate(**data)
        )

    return make
