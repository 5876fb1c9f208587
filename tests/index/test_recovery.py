"""ACCEPTANCE X3 and invariant 2: a killed save, a corrupt, truncated or stale file, or another
model's file never stops start-up; the index is loaded or rebuilt and reports no drift."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from index.encoder import BACKENDS, Encoder
from index.indexer import check
from index.runtime import Runtime
from index.search import search
from index.store import IndexState
from index.types import Query
from tests.index.conftest import Forum

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[2]


def seed(forum: Forum) -> None:
    t = forum.thread("Backprop through time question", "Why does my bptt_step diverge?")
    forum.reply(t, "Truncate the sequence and clip gradients.")
    forum.erratum("bptt_step docstring is wrong", "The shapes are swapped.", status="verified")


def fresh(runtime: Runtime) -> Runtime:
    """A new process's view: same settings and data directory, nothing in memory."""
    return Runtime(runtime.settings)


def assert_no_drift(runtime: Runtime, session: Session) -> None:
    drift = check(session, runtime.state())
    assert drift.ok, drift
    assert search(None, Query(text="bptt_step"))  # searchable again


def counting(monkeypatch: pytest.MonkeyPatch, encoder: Any) -> list[int]:
    calls: list[int] = []
    original = type(encoder).encode

    def encode(self: Any, texts: list[str], batch_size: int = 32) -> Any:
        calls.append(len(texts))
        return original(self, texts, batch_size)

    monkeypatch.setattr(type(encoder), "encode", encode)
    return calls


def test_restart_loads_saved_index_without_reembedding(
    forum: Forum, index_runtime: Runtime, encoder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(forum)
    index_runtime.sync()
    index_runtime.save()
    calls = counting(monkeypatch, encoder)
    restarted = fresh(index_runtime)
    assert len(restarted.state().docs) == 3
    assert calls == []  # nothing embedded again
    t = forum.thread("New after restart", "only this one is embedded")
    restarted.sync()
    assert calls == [1]
    assert ("thread", t.id) in restarted.state().docs


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_startup_rebuilds_from_damaged_file(
    forum: Forum, index_runtime: Runtime, damage: str
) -> None:
    seed(forum)
    index_runtime.sync()
    index_runtime.save()
    path = index_runtime.path
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(b"")
    restarted = fresh(index_runtime)
    assert_no_drift(restarted, forum.session)
    IndexState.load(path, restarted.encoder().identity, 384, "flat")  # repaired on disk


def test_startup_rebuilds_when_file_is_ahead_of_database(
    forum: Forum, index_runtime: Runtime
) -> None:
    seed(forum)
    state = index_runtime.state()
    state.seq = 10_000  # e.g. the database was restored from an older backup
    state.save(index_runtime.path)
    restarted = fresh(index_runtime)
    assert_no_drift(restarted, forum.session)
    assert restarted.state().seq < 10_000


def test_startup_rebuilds_when_file_is_from_another_database(
    forum: Forum, index_runtime: Runtime
) -> None:
    from forum.models import Course
    from tests.conftest import _truncate_all
    from users.models import User

    seed(forum)
    index_runtime.sync()
    index_runtime.save()
    _truncate_all()  # a new database that will have more events than the file reflects
    forum.user, forum.course = User(username="other"), Course(slug="x", title="X")
    forum.session.add_all([forum.user, forum.course])
    forum.session.commit()
    for i in range(5):
        forum.thread(f"Unrelated question {i}", "Something else entirely.")
    forum.thread("The bptt_step question again", "bptt_step")
    restarted = fresh(index_runtime)
    assert_no_drift(restarted, forum.session)


@pytest.mark.parametrize("other_model", ["some-other-model", "same model, other backend"])
def test_startup_rebuilds_when_model_differs(
    forum: Forum, index_runtime: Runtime, encoder: Any, other_model: str
) -> None:
    """Vectors from another model, or from the same model on another backend (torch vs int8),
    must not be mixed with new ones: the file is rebuilt."""
    if other_model.startswith("same"):
        other_backend = next(b for b in BACKENDS if b != encoder.backend)
        other_model = Encoder.identity_of(encoder.model_name, other_backend)
    seed(forum)
    state = index_runtime.state()
    other = IndexState(other_model, encoder.dim, "flat")
    other.seq = state.seq
    other.save(index_runtime.path)
    restarted = fresh(index_runtime)
    assert_no_drift(restarted, forum.session)
    with np.load(index_runtime.path) as z:
        assert json.loads(z["header"].tobytes())["model"] == encoder.identity


SAVER = """
import sys
from pathlib import Path
from index.store import IndexState
path, model = Path(sys.argv[1]), sys.argv[2]
state = IndexState.load(path, model, 384, "flat")
while True:
    print("saving", flush=True)
    state.save(path)
"""


def test_startup_after_save_killed_midway(forum: Forum, index_runtime: Runtime) -> None:
    seed(forum)
    index_runtime.sync()
    index_runtime.save()
    path = index_runtime.path
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path), index_runtime.encoder().identity],
            cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert proc.stdout is not None
        for _ in range(random.randint(2, 30)):
            proc.stdout.readline()
        time.sleep(random.random() / 1000)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    leftovers = list(path.parent.glob(".*.tmp"))
    for tmp in leftovers:  # as if the crash was a while ago
        os.utime(tmp, (time.time() - 3600, time.time() - 3600))
    restarted = fresh(index_runtime)
    assert_no_drift(restarted, forum.session)
    assert not list(path.parent.glob(".*.tmp"))


def test_cli_check_reports_drift_and_rebuild_repairs_it(
    forum: Forum, index_runtime: Runtime, test_env: dict[str, str]
) -> None:
    from app.cli import app

    seed(forum)
    cli_runtime = Runtime()  # what the CLI uses: the test run's data directory
    cli_runtime.index_dir.mkdir(parents=True, exist_ok=True)
    for f in cli_runtime.index_dir.iterdir():
        f.unlink()
    runner = CliRunner()
    result = runner.invoke(app, ["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["index", "check"]).exit_code == 0
    # A row changed without its index event (a bug elsewhere) is drift.
    from forum.models import Post, Thread

    assert forum.user.id is not None and forum.course.id is not None
    t = Thread(course_id=forum.course.id, author_id=forum.user.id, title="No event written")
    forum.session.add(t)
    forum.session.commit()
    assert t.id is not None
    forum.session.add(Post(thread_id=t.id, author_id=forum.user.id, is_question=True, body="x"))
    forum.session.commit()
    result = runner.invoke(app, ["index", "check"])
    assert result.exit_code == 1
    assert f"missing: 1 (thread:{t.id})" in result.output
    status = runner.invoke(app, ["index", "status"])
    assert status.exit_code == 0 and "3 documents" in status.output
    assert runner.invoke(app, ["index", "rebuild"]).exit_code == 0
    result = runner.invoke(app, ["index", "check"])
    assert result.exit_code == 0, result.output


def test_rebuild_resumes_from_checkpoint(
    forum: Forum, index_runtime: Runtime, encoder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.indexer import rebuild

    seed(forum)
    session = forum.session
    partial = IndexState(encoder.identity, encoder.dim, "flat")
    full = rebuild(session, encoder, "flat")
    # A checkpoint holding two of the three documents, as an interrupted rebuild leaves it.
    keep = sorted(full.docs)[:2]
    from index.indexer import load_documents

    docs, _ = load_documents(session, keep)
    partial.apply(partial.prepare(docs, encoder), [])
    partial.seq, partial.stamp = full.seq, full.stamp
    checkpoint = index_runtime.checkpoint
    partial.save(checkpoint)
    # Without stored vectors, so that the count shows which documents the resume redid.
    from sqlmodel import delete

    from index.embeddings import ChunkVector

    session.exec(delete(ChunkVector))  # type: ignore[call-overload]
    session.commit()
    calls = counting(monkeypatch, encoder)
    resumed = rebuild(session, encoder, "flat", checkpoint=checkpoint)
    assert resumed.doc_keys() == full.doc_keys()
    assert sum(calls) == 1  # only the missing document was embedded


def test_shutdown_during_rebuild_keeps_checkpoint_and_resumes(
    forum: Forum, index_runtime: Runtime, encoder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.indexer

    for i in range(6):
        forum.thread(f"Question number {i} on bptt_step", f"Details {i}")
    monkeypatch.setattr(index.indexer, "REBUILD_BATCH", 1)
    monkeypatch.setattr(index.indexer, "CHECKPOINT_DOCS", 1)
    original = type(encoder).encode
    encoded: list[int] = []

    def slow(self: Any, texts: list[str], batch_size: int = 32) -> Any:
        time.sleep(0.3)
        encoded.append(len(texts))
        return original(self, texts, batch_size)

    monkeypatch.setattr(type(encoder), "encode", slow)
    index_runtime.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(encoded) < 2:
        time.sleep(0.05)
    assert index_runtime.not_ready_reason().startswith("rebuilding")  # and never searched
    index_runtime.stop(save=True)
    assert not index_runtime.path.exists()  # a partial index is never saved as the index
    assert index_runtime.checkpoint.exists()
    calls = counting(monkeypatch, encoder)
    restarted = fresh(index_runtime)
    assert_no_drift(restarted, forum.session)
    assert 0 < len(calls) < 6  # resumed: the documents done before the stop were kept


@pytest.mark.parametrize(("seconds", "saves"), [(0.0, 6), (3600.0, 0)])
def test_rebuild_checkpoints_every_few_documents_but_not_more_often_than_the_clock_allows(
    forum: Forum,
    index_runtime: Runtime,
    encoder: Any,
    monkeypatch: pytest.MonkeyPatch,
    seconds: float,
    saves: int,
) -> None:
    """Each checkpoint writes the whole partial index; saving on a document count alone made a
    100k-document rebuild quadratic, so checkpoints also wait for CHECKPOINT_SECONDS."""
    import index.indexer
    from index.indexer import rebuild

    for i in range(6):
        forum.thread(f"Checkpointed question {i}", f"Details {i}")
    monkeypatch.setattr(index.indexer, "REBUILD_BATCH", 1)
    monkeypatch.setattr(index.indexer, "CHECKPOINT_DOCS", 1)
    monkeypatch.setattr(index.indexer, "CHECKPOINT_SECONDS", seconds)
    monkeypatch.setattr(index.indexer, "CHECKPOINT_WAIT_PER_SAVE_SECOND", 0.0)
    written: list[int] = []
    original = IndexState.save

    def save(self: IndexState, path: Path) -> None:
        written.append(len(self.docs))
        original(self, path)

    monkeypatch.setattr(IndexState, "save", save)
    state = rebuild(forum.session, encoder, "flat", checkpoint=index_runtime.checkpoint)
    assert len(state.docs) == 6
    assert written == list(range(1, saves + 1))
