"""The forum loaders read a dense batch of ids as one id range (a rebuild's batches): they must
still return exactly the documents asked for, never a neighbour inside the range, and each
thread with its own question and its own closed duplicates."""

from __future__ import annotations

from sqlmodel import Session

from core.db import get_engine
from forum.documents import load_posts, load_threads
from forum.models import Thread
from tests.index.conftest import Forum


def test_dense_ids_return_only_the_threads_asked_for(db: None, forum: Forum) -> None:
    threads = [forum.thread(f"Question {i}", f"Body {i}") for i in range(5)]
    ids = [t.id for t in threads]
    asked = [ids[0], ids[2], ids[4]]  # a range that holds ids[1] and ids[3] too
    with Session(get_engine()) as session:
        docs = load_threads(session, asked)
    assert sorted(d.doc_id for d in docs) == sorted(asked)
    for d in docs:
        i = ids.index(d.doc_id)
        assert d.title == f"Question {i}" and d.text == f"Body {i}"


def test_dense_ids_return_only_the_replies_asked_for(db: None, forum: Forum) -> None:
    thread = forum.thread("Question", "Body")
    replies = [forum.reply(thread, f"Reply {i}") for i in range(4)]
    asked = [replies[0].id, replies[3].id]
    with Session(get_engine()) as session:
        docs = load_posts(session, [i for i in asked if i is not None])
    assert sorted(d.doc_id for d in docs) == sorted(i for i in asked if i is not None)
    assert {d.text for d in docs} == {"Reply 0", "Reply 3"}


def test_a_duplicate_is_searched_only_with_its_own_canonical_thread(db: None, forum: Forum) -> None:
    canonical = [forum.thread(f"Canonical {i}", f"Canonical body {i}") for i in range(3)]
    duplicate = forum.thread("Duplicate words", "Duplicate body")
    row = forum.session.get(Thread, duplicate.id)
    assert row is not None
    row.duplicate_of_id = canonical[1].id  # inside the range of [canonical 0, canonical 2]
    forum.session.add(row)
    forum.session.commit()
    with Session(get_engine()) as session:
        docs = {d.doc_id: d for d in load_threads(session, [canonical[0].id, canonical[2].id])}
        both = {d.doc_id: d for d in load_threads(session, [c.id for c in canonical])}
    assert set(docs) == {canonical[0].id, canonical[2].id}
    assert all("Duplicate words" not in d.text for d in docs.values())
    assert "Duplicate words" in both[canonical[1].id].text
    assert "Duplicate words" not in both[canonical[0].id].text
