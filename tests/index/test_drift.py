"""Invariant 2: the drift check compares content versions, so an edit or status change the
index missed (its event lost) is reported, and repairing reloads exactly those documents."""

from __future__ import annotations

import pytest

from errata.models import ErratumStatus
from index.indexer import check, repair
from index.runtime import Runtime
from index.search import search
from index.types import Query
from tests.index.conftest import Forum

pytestmark = pytest.mark.model


def test_check_reports_missed_edit_and_repair_fixes_it(
    forum: Forum, index_runtime: Runtime
) -> None:
    thread = forum.thread("Padding question", "How much padding does conv_forward add?")
    erratum = forum.erratum("rnn_cell_forward docstring", "Shapes swapped.", status="reported")
    index_runtime.sync()
    state = index_runtime.state()
    assert check(forum.session, state).ok
    # Both changes are written without their outbox events: the index misses them silently.
    thread.title = "Vanishing gradients in the LSTM forget gate"
    erratum.status = ErratumStatus.verified
    forum.session.add_all([thread, erratum])
    forum.session.commit()
    index_runtime.sync()

    drift = check(forum.session, state)
    assert drift.stale == [("erratum", erratum.id), ("thread", thread.id)]
    assert not drift.ok and not drift.missing and not drift.extra

    repair(forum.session, state, index_runtime.encoder(), drift)
    assert check(forum.session, state).ok
    hits = search(None, Query(text="Vanishing gradients LSTM forget gate", limit=1))
    assert (hits[0].doc_type, hits[0].doc_id) == ("thread", thread.id)
    verified = search(
        None, Query(text="rnn_cell_forward", doc_types=("erratum",), statuses=("verified",))
    )
    assert [(h.doc_type, h.doc_id) for h in verified] == [("erratum", erratum.id)]
