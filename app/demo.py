"""The demo programme a newcomer can try at once, loaded from the data files in ``app/demo_data``.

``threads.jsonl`` and ``errata.jsonl`` are in the importer's format and go through
``app.importer`` like any course's import (``checkfirst import`` reads them too). What that format
doesn't carry rides in the same lines as extra fields the importer ignores, and is replayed here
through the domain services, so that votes, follows, history rows, notifications and index events
are written as for real ones:

- thread: ``author``, ``voters``, ``hours_ago``, ``pinned``, ``locked``; each reply ``author``,
  ``voters``, ``endorsed_by``;
- erratum (imported as reported): ``reporter``, ``thread`` (the source thread's external id),
  ``affected`` ("affects me" marks), ``history`` (the moderators' moves), ``days_ago``.

``people.json`` holds the accounts and their password, ``courses.json`` the courses and their
assignments with notebook versions. Loading again adds only what is missing: it never undoes what
people did with the demo.
"""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from typing import Any

from sqlmodel import Session, col, select

from app.importer import import_lines
from core.clock import utcnow
from core.db import get_engine
from core.importing import dump_line
from errata import service as errata_service
from errata.models import Erratum, ErratumHistory, ErratumStatus
from forum import service as forum_service
from forum.models import Assignment, Course, Post, Thread
from users.auth import create_user
from users.models import CourseRole, Role, User, UserCreate

DATA = resources.files("app") / "demo_data"


def read_json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def read_lines(name: str) -> list[dict[str, Any]]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_demo(*, only_if_empty: bool = False) -> bool:
    """Load the demo (only into a database without courses when asked); False if skipped."""
    with Session(get_engine()) as session:
        if only_if_empty and session.exec(select(Course.id)).first() is not None:
            return False
        people = read_json("people.json")
        users = _ensure_people(session, people)
        _ensure_courses(session, read_json("courses.json"), people, users)
        for record in _import_new(session, Thread, read_lines("threads.jsonl")):
            _tell_thread(session, record, users)
        for record in _import_new(session, Erratum, read_lines("errata.jsonl")):
            _tell_erratum(session, record, users)
    return True


def _user(users: dict[str, User], name: str) -> User:
    if name not in users:
        raise ValueError(f"The demo data names {name!r}, which is not in people.json.")
    return users[name]


def _ensure_people(session: Session, people: dict[str, Any]) -> dict[str, User]:
    users: dict[str, User] = {}
    created = utcnow() - timedelta(days=120)
    for account in people["accounts"]:
        name = account["username"]
        user = session.exec(select(User).where(User.username == name)).first()
        if user is None:
            user = create_user(
                session=session,
                user_create=UserCreate(
                    username=name, password=people["password"], display_name=account["display_name"]
                ),
                role=Role(account["role"]),
            )
        # Established accounts: the demo must not trip the newcomer posting limit.
        user.created_at = created
        session.add(user)
        users[name] = user
    session.commit()
    return users


def _ensure_courses(
    session: Session, courses: list[dict[str, Any]], people: dict[str, Any], users: dict[str, User]
) -> None:
    ids: dict[str, int] = {}
    for spec in courses:
        course = session.exec(select(Course).where(Course.slug == spec["slug"])).first()
        if course is None:
            course = Course(slug=spec["slug"], title=spec["title"], description=spec["description"])
            session.add(course)
            session.flush()
        assert course.id is not None
        ids[spec["slug"]] = course.id
        for position, item in enumerate(spec["assignments"], start=1):
            known = session.exec(
                select(Assignment.id).where(
                    Assignment.course_id == course.id, Assignment.slug == item["slug"]
                )
            ).first()
            if known is None:
                session.add(Assignment(course_id=course.id, position=position, **item))
    for account in people["accounts"]:
        slug = account.get("instructor_of")
        if not slug:
            continue
        user_id = users[account["username"]].id
        assert user_id is not None
        known_role = session.exec(
            select(CourseRole.id).where(
                CourseRole.user_id == user_id, CourseRole.course_id == ids[slug]
            )
        ).first()
        if known_role is None:
            session.add(CourseRole(user_id=user_id, course_id=ids[slug], role="instructor"))
    session.commit()


def _import_new(
    session: Session, model: type[Thread] | type[Erratum], records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Import the records not stored yet, through the importer; returns them."""
    wanted = [r["external_id"] for r in records]
    stored = set(
        session.exec(select(model.external_id).where(col(model.external_id).in_(wanted))).all()
    )
    new = [r for r in records if r["external_id"] not in stored]
    report = import_lines((dump_line(r) for r in new), engine=get_engine())
    if report.rejected:
        number, reason = report.rejected[0]
        raise ValueError(f"Demo record {new[number - 1]['external_id']} was rejected: {reason}")
    return new


def _tell_thread(session: Session, record: dict[str, Any], users: dict[str, User]) -> None:
    """Who asked, answered, voted and endorsed, and when; pins and locks."""
    ext = record["external_id"]
    thread = session.exec(select(Thread).where(Thread.external_id == ext)).one()
    question = forum_service.get_question(session=session, thread=thread)
    author = _user(users, record["author"])
    thread.author_id = question.author_id = author.id  # type: ignore[assignment]
    replies = []
    for index, spec in enumerate(record.get("replies", []), start=1):
        post = session.exec(select(Post).where(Post.external_id == f"{ext}#reply-{index}")).one()
        post.author_id = _user(users, spec["author"]).id  # type: ignore[assignment]
        replies.append((post, spec))
    session.add_all([thread, question, *(post for post, _ in replies)])
    session.commit()
    for who in [author] + [_user(users, spec["author"]) for _, spec in replies]:
        forum_service.follow(session=session, user=who, thread=thread)
    for post, voters in [(question, record.get("voters", []))] + [
        (post, spec.get("voters", [])) for post, spec in replies
    ]:
        for name in voters:
            voter = _user(users, name)
            if voter.id != post.author_id:
                forum_service.vote(session=session, user=voter, post=post, thread=thread, value=1)
    for post, spec in replies:
        if spec.get("endorsed_by"):
            endorser = _user(users, spec["endorsed_by"])
            forum_service.endorse(
                session=session, user=endorser, post=post, thread=thread, value=True
            )
    moderator = next(u for u in users.values() if u.role == Role.moderator)
    if record.get("pinned"):
        forum_service.set_pinned(session=session, user=moderator, thread=thread, value=True)
    if record.get("locked"):
        forum_service.set_locked(session=session, user=moderator, thread=thread, value=True)
    # Spread the demo over the past weeks so that "newest" and "activity" differ.
    now = utcnow()
    created = now - timedelta(hours=record["hours_ago"])
    stamps = [created]
    for index, (post, _) in enumerate(replies, start=1):
        post.created_at = min(created + timedelta(minutes=37 * index * index), now)
        stamps.append(post.created_at)
        session.add(post)
    question.created_at = thread.created_at = created
    thread.last_activity_at = max(stamps)
    session.add_all([question, thread])
    session.commit()


def _tell_erratum(session: Session, record: dict[str, Any], users: dict[str, User]) -> None:
    """Who reported it and from which thread, who it affects, and what moderators did."""
    erratum = session.exec(
        select(Erratum).where(Erratum.external_id == record["external_id"])
    ).one()
    assert erratum.id is not None
    reporter = _user(users, record["reporter"])
    erratum.reporter_id = reporter.id  # type: ignore[assignment]
    if record.get("thread"):
        erratum.source_thread_id = session.exec(
            select(Thread.id).where(Thread.external_id == record["thread"])
        ).one()
    # The import's history row becomes the learner's report.
    for row in session.exec(
        select(ErratumHistory).where(ErratumHistory.erratum_id == erratum.id)
    ).all():
        row.actor_id, row.reason = reporter.id, ""  # type: ignore[assignment]
        session.add(row)
    session.add(erratum)
    session.commit()
    for name in record.get("affected", []):
        marker = _user(users, name)
        errata_service.toggle_affects(session=session, user=marker, erratum_id=erratum.id)
    for move in record.get("history", []):
        original = None
        if move.get("duplicate_of"):
            original = session.exec(
                select(Erratum.id).where(Erratum.external_id == move["duplicate_of"])
            ).one()
        errata_service.transition(
            session=session,
            user=_user(users, move["by"]),
            erratum_id=erratum.id,
            to_status=ErratumStatus(move["status"]),
            reason=move.get("reason", ""),
            fixed_in=move.get("fixed_in"),
            duplicate_of_id=original,
        )
    _spread_in_time(session, erratum.id, record["days_ago"])


def _spread_in_time(session: Session, erratum_id: int, days_ago: int) -> None:
    """Report it days ago and space its history over the days since."""
    start = utcnow() - timedelta(days=days_ago, hours=3)
    rows = session.exec(
        select(ErratumHistory)
        .where(ErratumHistory.erratum_id == erratum_id)
        .order_by(col(ErratumHistory.id))
    ).all()
    step = timedelta(days=days_ago) / max(len(rows), 1)
    for i, row in enumerate(rows):
        row.created_at = start + step * i + timedelta(hours=2 * i)
        session.add(row)
    erratum = session.get(Erratum, erratum_id)
    assert erratum is not None
    erratum.created_at = start
    erratum.updated_at = rows[-1].created_at if rows else start
    session.add(erratum)
    session.commit()
