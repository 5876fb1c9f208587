"""Index fixtures: the real model (loaded once per session), a runtime per test with its own
data directory, and helpers that write rows plus their index events like the services do."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from core.clock import utcnow
from errata.models import Erratum, ErratumStatus
from forum.models import Assignment, Course, Post, Thread
from index.events import IndexOp, record
from users.models import User


@pytest.fixture(scope="session")
def encoder(test_env: dict[str, str]):  # type: ignore[no-untyped-def]
    from index.encoder import get_encoder

    return get_encoder()


@pytest.fixture()
def index_runtime(db: None, encoder: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh process runtime for this test (no background thread unless the test starts one)."""
    from app.indexing import register_loaders
    from core.settings import get_settings
    from index.runtime import Runtime, set_runtime

    register_loaders()
    settings = get_settings().model_copy(update={"data_dir": tmp_path, "index_enabled": True})
    runtime = Runtime(settings)
    previous = set_runtime(runtime)
    yield runtime
    runtime.stop(save=False)
    set_runtime(previous)


@pytest.fixture()
def loading_held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every runtime's index load waits until the returned event is set (a replica still
    loading); set at the end of the test whatever happens."""
    from index.runtime import Runtime

    release = threading.Event()
    original = Runtime._open

    def held_open(self: Runtime) -> Any:
        release.wait(60.0)  # deadlock guard, not a timing
        return original(self)

    monkeypatch.setattr(Runtime, "_open", held_open)
    yield release
    release.set()


@dataclass
class Forum:
    """Writes content the way the services do: row change and index event, one transaction."""

    session: Session
    user: User
    course: Course

    def course_(self, slug: str) -> Course:
        course = Course(slug=slug, title=slug.upper())
        self.session.add(course)
        self.session.commit()
        return course

    def assignment(self, course: Course | None = None, slug: str = "a1") -> Assignment:
        course = course or self.course
        assert course.id is not None
        a = Assignment(course_id=course.id, slug=slug, title=slug)
        self.session.add(a)
        self.session.commit()
        return a

    def thread(
        self, title: str, body: str = "", *, course: Course | None = None,
        assignment: Assignment | None = None,
    ) -> Thread:  # fmt: skip
        course = course or self.course
        assert course.id is not None and self.user.id is not None
        t = Thread(
            course_id=course.id, author_id=self.user.id, title=title,
            assignment_id=assignment.id if assignment else None,
        )  # fmt: skip
        self.session.add(t)
        self.session.flush()
        assert t.id is not None
        self.session.add(Post(thread_id=t.id, author_id=self.user.id, is_question=True, body=body))
        record(self.session, doc_type="thread", doc_id=t.id)
        self.session.commit()
        return t

    def reply(self, thread: Thread, body: str) -> Post:
        assert thread.id is not None and self.user.id is not None
        p = Post(thread_id=thread.id, author_id=self.user.id, body=body)
        self.session.add(p)
        self.session.flush()
        assert p.id is not None
        record(self.session, doc_type="post", doc_id=p.id)
        self.session.commit()
        return p

    def erratum(
        self, title: str, description: str = "", *, status: str = "reported",
        course: Course | None = None, assignment: Assignment | None = None, **fields: Any,
    ) -> Erratum:  # fmt: skip
        course = course or self.course
        assert course.id is not None and self.user.id is not None
        e = Erratum(
            course_id=course.id, title=title, description=description,
            status=ErratumStatus(status), reporter_id=self.user.id,
            assignment_id=assignment.id if assignment else None, **fields,
        )  # fmt: skip
        self.session.add(e)
        self.session.flush()
        assert e.id is not None
        record(self.session, doc_type="erratum", doc_id=e.id)
        self.session.commit()
        return e

    def set_status(self, erratum: Erratum, status: str) -> None:
        assert erratum.id is not None
        erratum.status = ErratumStatus(status)
        self.session.add(erratum)
        record(self.session, doc_type="erratum", doc_id=erratum.id)
        self.session.commit()

    def delete_thread(self, thread: Thread) -> None:
        assert thread.id is not None
        thread.deleted_at = utcnow()
        self.session.add(thread)
        record(self.session, doc_type="thread", doc_id=thread.id, op=IndexOp.delete)
        self.session.commit()

    def delete_post(self, post: Post) -> None:
        assert post.id is not None
        post.deleted_at = utcnow()
        self.session.add(post)
        record(self.session, doc_type="post", doc_id=post.id, op=IndexOp.delete)
        self.session.commit()

    def edit_thread(self, thread: Thread, title: str) -> None:
        assert thread.id is not None
        thread.title = title
        self.session.add(thread)
        record(self.session, doc_type="thread", doc_id=thread.id)
        self.session.commit()


@pytest.fixture()
def forum(session: Session, index_runtime: Any) -> Forum:
    user = User(username=f"author_{id(session) % 10000}")
    course = Course(slug="dl", title="Deep Learning")
    session.add(user)
    session.add(course)
    session.commit()
    return Forum(session=session, user=user, course=course)
