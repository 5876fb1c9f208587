"""The outbox: every change to searchable content writes an index event in the same transaction.

The indexer applies events in ``seq`` order; the saved index records the last ``seq`` it reflects,
so a restart catches up instead of re-embedding everything (ARCHITECTURE invariants 1 and 2).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, FetchedValue
from sqlmodel import Field, Session, SQLModel

from core.clock import utcnow
from index import embeddings as _embeddings  # noqa: F401  (chunk_vector joins the metadata)


class IndexOp(StrEnum):
    # Load the document again (created, edited, status changed) and replace its vectors.
    upsert = "upsert"
    # Remove its vectors (deleted or hidden).
    delete = "delete"


class IndexEvent(SQLModel, table=True):
    __tablename__ = "index_event"
    seq: int | None = Field(default=None, primary_key=True)
    doc_type: str = Field(max_length=20)  # "thread", "post", "erratum"
    doc_id: int
    op: IndexOp
    created_at: datetime = Field(default_factory=utcnow)
    # PostgreSQL: the writing transaction's id, set by the database (migration 0004); the
    # indexer compares it with its snapshots so a late commit of a lower seq is still applied.
    txid: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, server_default=FetchedValue())
    )


def record(session: Session, *, doc_type: str, doc_id: int, op: IndexOp = IndexOp.upsert) -> None:
    """Queue a change for the indexer; committed (or rolled back) with the caller's transaction."""
    session.add(IndexEvent(doc_type=doc_type, doc_id=doc_id, op=op))
