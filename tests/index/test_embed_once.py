"""Invariant 1: each chunk is embedded once per model, whichever replica applies it first; the
others, and every rebuild or cold start, load its vector from the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

from core.db import get_engine
from index.encoder import Encoder
from index.indexer import Tailer, load_documents, rebuild, searchable_keys
from index.store import IndexState, doc_chunks
from tests.index.conftest import Forum

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[2]
# A replica process: loads the model, waits for the go file, catches up, reports its count.
REPLICA = """
import json, sys, time
from pathlib import Path
from sqlmodel import Session
from core.db import get_engine
from app.indexing import register_loaders
from index.encoder import get_encoder
from index.indexer import Tailer
from index.store import IndexState

register_loaders()
encoder = get_encoder()
state = IndexState(encoder.identity, encoder.dim)
go = Path(sys.argv[1])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
with Session(get_engine()) as session:
    Tailer().catch_up(session, state, encoder)
print(json.dumps({"encoded": encoder.encoded, "docs": len(state.docs)}), flush=True)
"""


def chunk_count(session: Session) -> int:
    docs, _ = load_documents(session, searchable_keys(session))
    return sum(len(doc_chunks(d)) for d in docs)


def seed(forum: Forum) -> Any:
    long_body = " ".join(f"word{i} lstm_forward gates" for i in range(300))  # several chunks
    t = forum.thread("LSTM gates saturate", long_body)
    forum.reply(t, "Clip the gradients and check the forget gate bias.")
    forum.erratum("rnn_cell_forward docstring", "The shapes are swapped.", status="verified")
    for i in range(5):
        forum.thread(f"Question {i} on conv padding", f"How much padding in layer {i}?")
    return t


def test_two_replicas_encode_each_chunk_once_and_rebuild_encodes_nothing(
    forum: Forum, encoder: Encoder
) -> None:
    seed(forum)
    # A second "process": its own encoder instance and its own index.
    other = Encoder(encoder.model_name, encoder.backend)
    replicas = [(encoder, IndexState(encoder.identity, encoder.dim)),
                (other, IndexState(other.identity, other.dim))]  # fmt: skip
    before = [enc.encoded for enc, _ in replicas]
    start = threading.Barrier(len(replicas))
    errors: list[BaseException] = []

    def apply(enc: Encoder, state: IndexState) -> None:
        try:
            with Session(get_engine()) as session:
                start.wait()  # both apply the same events at the same time
                Tailer().catch_up(session, state, enc)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=apply, args=r) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    chunks = chunk_count(forum.session)
    assert chunks > 8  # the long thread has several
    encoded = [enc.encoded - b for (enc, _), b in zip(replicas, before, strict=True)]
    assert sum(encoded) == chunks  # each chunk exactly once, by one replica or the other
    a, b = replicas[0][1], replicas[1][1]
    assert a.doc_keys() == b.doc_keys() == searchable_keys(forum.session)
    labels = sorted(a.owner)
    va = a.vectors.index.reconstruct_batch(np.asarray(labels, np.int64))
    vb = b.vectors.index.reconstruct_batch(np.asarray(labels, np.int64))
    np.testing.assert_array_equal(va, vb)  # the same stored vectors

    # A rebuild (or a new server's cold start) loads every vector: nothing is encoded.
    before_rebuild = encoder.encoded
    with Session(get_engine()) as session:
        rebuilt = rebuild(session, encoder, "flat")
    assert encoder.encoded == before_rebuild
    assert rebuilt.doc_keys() == a.doc_keys()


def test_edit_is_encoded_once_across_replicas(forum: Forum, encoder: Encoder) -> None:
    thread = seed(forum)
    states = [IndexState(encoder.identity, encoder.dim) for _ in range(3)]
    with Session(get_engine()) as session:
        for state in states:
            Tailer().catch_up(session, state, encoder)
    before = encoder.encoded
    forum.edit_thread(thread, "LSTM forget gate saturates at initialisation")
    with Session(get_engine()) as session:
        for state in states:
            Tailer().catch_up(session, state, encoder)
    # The thread's chunks and its reply's (which carry the thread's title) changed.
    keys = [("thread", thread.id), *states[0].children_of([("thread", thread.id)])]
    assert len(keys) == 2
    changed = sum(len(doc_chunks(d)) for d in load_documents(forum.session, keys)[0])
    # Three replicas applied the edit; each changed chunk was encoded once.
    assert encoder.encoded - before == changed


def test_a_claimed_chunk_is_waited_for_and_a_dead_claim_taken_over(
    db: None, encoder: Encoder
) -> None:
    from datetime import timedelta

    from core.clock import utcnow
    from index.embeddings import CLAIM_SECONDS, ChunkVector, SharedVectors, chunk_version

    text = "thread 1\nwhy does my lstm forget gate saturate"
    key = ("thread", 1, 0)
    shared = SharedVectors(get_engine(), encoder)

    def claim_row(age: float) -> ChunkVector:
        return ChunkVector(
            model=encoder.identity, doc_type="thread", doc_id=1, chunk=0,
            version=chunk_version(text), claimed_at=utcnow() - timedelta(seconds=age),
        )  # fmt: skip

    with Session(get_engine()) as session:  # another process claimed it and is encoding
        session.add(claim_row(0))
        session.commit()
    before = encoder.encoded
    got: list[Any] = []
    waiting = threading.Thread(target=lambda: got.append(shared.vectors([key], [text])))
    waiting.start()
    vector = encoder.encode([text])[0]  # the other process's work
    with Session(get_engine()) as session:
        row = session.get(ChunkVector, (encoder.identity, "thread", 1, 0, chunk_version(text)))
        assert row is not None
        row.vector = vector.astype("<f4").tobytes()
        session.add(row)
        session.commit()
    waiting.join()
    assert encoder.encoded - before == 1  # only the other process's encoding
    np.testing.assert_array_equal(got[0][0], vector)

    # A claim whose process died long ago is taken over and encoded here.
    text2 = text + " at initialisation"
    with Session(get_engine()) as session:
        row = claim_row(CLAIM_SECONDS + 1)
        row.version = chunk_version(text2)
        session.add(row)
        session.commit()
    before = encoder.encoded
    assert shared.vectors([key], [text2]).shape == (1, encoder.dim)
    assert encoder.encoded - before == 1


def test_two_processes_encode_each_chunk_once(
    forum: Forum, encoder: Encoder, tmp_path: Path
) -> None:
    seed(forum)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()  # both models are loaded: apply the same events at the same time
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    docs = len(searchable_keys(forum.session))
    assert [r["docs"] for r in results] == [docs, docs]
    assert sum(r["encoded"] for r in results) == chunk_count(forum.session)


def test_another_model_identity_embeds_again_once(
    forum: Forum, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(forum)
    with Session(get_engine()) as session:
        rebuild(session, encoder, "flat")  # vectors stored under today's model
        chunks = chunk_count(session)
        # Another model (here: the same weights under a new identity) has no stored vectors.
        monkeypatch.setattr(encoder, "identity", encoder.identity + "-v2")
        before = encoder.encoded
        state = rebuild(session, encoder, "flat")
        assert encoder.encoded - before == chunks
        assert state.encoder_name.endswith("-v2")
        before = encoder.encoded
        rebuild(session, encoder, "flat")  # and once stored, never again
        assert encoder.encoded == before
