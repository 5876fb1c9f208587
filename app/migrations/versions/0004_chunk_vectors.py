"""chunk vectors stored once per model; outbox events record their transaction

Revision ID: 0004_chunk_vectors
Revises: 0003_ask_owner
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_chunk_vectors"
down_revision: str | None = "0003_ask_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL commits out of sequence order: the indexer reads events by the writing
    # transaction's id against its snapshot (index.indexer). SQLite has one writer at a time,
    # so there the column stays NULL and the sequence number alone is exact.
    postgres = op.get_bind().dialect.name == "postgresql"
    default = sa.text("(pg_current_xact_id()::text)::bigint") if postgres else None
    with op.batch_alter_table("index_event") as batch_op:
        batch_op.add_column(
            sa.Column("txid", sa.BigInteger(), nullable=True, server_default=default)
        )
    if postgres:
        op.create_index("ix_index_event_txid", "index_event", ["txid"])
    # One row per (model, chunk, content version): the vector computed once and loaded by
    # every replica. ``vector`` is NULL while the process that claimed the row encodes it.
    op.create_table(
        "chunk_vector",
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("doc_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("model", "doc_type", "doc_id", "chunk", "version"),
    )


def downgrade() -> None:
    op.drop_table("chunk_vector")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_index_event_txid", table_name="index_event")
    with op.batch_alter_table("index_event") as batch_op:
        batch_op.drop_column("txid")
