"""The demo programme loads from its data files through the importer and can be browsed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.demo import load_demo, read_json, read_lines
from core.security import verify_password
from forum.models import Assignment, Course, Post, Thread
from index.events import IndexEvent
from users.models import CourseRole, User


def test_demo_loads_courses_people_and_threads(client: TestClient, session: Session) -> None:
    assert load_demo() is True
    assert session.exec(select(func.count(col(Course.id)))).one() == 5
    per_course = session.exec(
        select(Assignment.course_id, func.count(col(Assignment.id))).group_by(
            col(Assignment.course_id)
        )
    ).all()
    assert all(3 <= n <= 5 for _, n in per_course)
    threads = session.exec(select(Thread)).all()
    assert len(threads) >= 25
    assert sum(1 for t in threads if t.accepted_post_id) >= 15
    assert session.exec(select(Post).where(col(Post.endorsed_by_id).is_not(None))).first()
    assert session.exec(select(func.count(col(CourseRole.id)))).one() == 5
    # Index events were written for every thread and reply.
    events = session.exec(select(IndexEvent.doc_type, IndexEvent.doc_id)).all()
    assert {("thread", t.id) for t in threads} <= set(events)
    people = read_json("people.json")
    for account in people["accounts"]:
        user = session.exec(select(User).where(User.username == account["username"])).one()
        assert user.role.value == account["role"]
        assert verify_password(people["password"], user.password_hash)
    # The showcase thread renders with its traceback in a code block, by its real author.
    rnn = next(t for t in threads if "Wrong values in a_next" in t.title)
    page = client.get(f"/threads/{rnn.id}").text
    assert "<pre><code>" in page and "AssertionError: Wrong values in a_next" in page
    assert "✓ accepted answer" in page and "endorsed by" in page
    assert "Dr. Anika Patel" in page and "Imported" not in page
    assert client.get("/").status_code == 200


def test_demo_accounts_can_sign_in(client: TestClient, session: Session) -> None:
    load_demo()
    # The README promises this password for every demo account.
    r = client.post("/api/v1/auth/login", json={"username": "ada", "password": "checkfirst-demo"})
    assert r.status_code == 200


def test_demo_threads_come_through_the_importer(session: Session) -> None:
    load_demo()
    stored = {t.external_id: t for t in session.exec(select(Thread)).all()}
    lines = read_lines("threads.jsonl")
    assert set(stored) == {line["external_id"] for line in lines}
    # Replies carry the importer's keys, and the authors named in the file.
    line = lines[0]
    thread = stored[line["external_id"]]
    replies = session.exec(
        select(Post).where(Post.thread_id == thread.id, col(Post.is_question).is_(False))
    ).all()
    names = {u.id: u.username for u in session.exec(select(User)).all()}
    assert sorted((p.external_id, names[p.author_id]) for p in replies) == sorted(
        (f"{line['external_id']}#reply-{i}", r["author"])
        for i, r in enumerate(line["replies"], start=1)
    )
    assert names[thread.author_id] == line["author"]


def test_demo_files_import_on_their_own(session: Session) -> None:
    """``checkfirst import`` reads the demo files as they are (content by the import owner)."""
    from app.demo import DATA
    from app.importer import import_file

    for name, count in (("threads.jsonl", 27), ("errata.jsonl", 12)):
        report = import_file(str(DATA / name))
        assert (report.created, report.rejected) == (count, [])


def test_demo_loads_twice_without_adding_or_undoing(client: TestClient, session: Session) -> None:
    load_demo()
    first = {
        "threads": session.exec(select(func.count(col(Thread.id)))).one(),
        "posts": session.exec(select(func.count(col(Post.id)))).one(),
        "users": session.exec(select(func.count(col(User.id)))).one(),
        "roles": session.exec(select(func.count(col(CourseRole.id)))).one(),
        "assignments": session.exec(select(func.count(col(Assignment.id)))).one(),
        "events": session.exec(select(func.count(col(IndexEvent.seq)))).one(),
    }
    # Someone plays with the demo: ada un-accepts her accepted answer.
    rnn = session.exec(select(Thread).where(col(Thread.title).contains("a_next"))).one()
    rnn.accepted_post_id = None
    session.add(rnn)
    session.commit()
    assert load_demo() is True
    assert load_demo(only_if_empty=True) is False
    session.expire_all()
    again = {
        "threads": session.exec(select(func.count(col(Thread.id)))).one(),
        "posts": session.exec(select(func.count(col(Post.id)))).one(),
        "users": session.exec(select(func.count(col(User.id)))).one(),
        "roles": session.exec(select(func.count(col(CourseRole.id)))).one(),
        "assignments": session.exec(select(func.count(col(Assignment.id)))).one(),
        "events": session.exec(select(func.count(col(IndexEvent.seq)))).one(),
    }
    assert again == first
    assert session.get(Thread, rnn.id).accepted_post_id is None  # type: ignore[union-attr]
