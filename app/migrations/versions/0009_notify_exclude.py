"""Notify events name who hears of the change by a more specific event (excluded from this one),
and each outbox message its event (an undone change withdraws what is not sent yet)

Revision ID: 0009_notify_exclude
Revises: 0008_consensus
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_notify_exclude"
down_revision: str | None = "0008_consensus"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both columns are empty for existing rows: old events exclude no one, old mail has no event.
    with op.batch_alter_table("notify_event") as batch:
        batch.add_column(sa.Column("exclude", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("mail_outbox") as batch:
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch.create_index("ix_mail_outbox_event_id", ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox") as batch:
        batch.drop_index("ix_mail_outbox_event_id")
        batch.drop_column("event_id")
    with op.batch_alter_table("notify_event") as batch:
        batch.drop_column("exclude")
