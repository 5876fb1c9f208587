"""Forum privacy: anonymous-to-classmates posts, private-to-staff threads, duplicate closing

Revision ID: 0007_forum_privacy
Revises: 0006_lti
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_forum_privacy"
down_revision: str | None = "0006_lti"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every column is nullable or has a server default, so existing rows stay valid as they are:
    # old threads are public, signed, open; old courses allow anonymous posts (the usual default).
    with op.batch_alter_table("course") as batch:
        batch.add_column(
            sa.Column("allow_anonymous", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("thread") as batch:
        batch.add_column(
            sa.Column("is_private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("is_anonymous", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        # Secret per thread from which anonymous aliases are derived (null until first needed).
        batch.add_column(
            sa.Column("alias_salt", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("duplicate_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("duplicate_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.create_foreign_key(
            "fk_thread_duplicate_of_id_thread",
            "thread",
            ["duplicate_of_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            "fk_thread_duplicate_by_id_user",
            "user",
            ["duplicate_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_thread_duplicate_of_id", ["duplicate_of_id"], unique=False)
        batch.create_index("ix_thread_is_private", ["is_private"], unique=False)
    with op.batch_alter_table("post") as batch:
        batch.add_column(
            sa.Column("is_anonymous", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.drop_column("is_anonymous")
    with op.batch_alter_table("thread") as batch:
        batch.drop_index("ix_thread_is_private")
        batch.drop_index("ix_thread_duplicate_of_id")
        batch.drop_constraint("fk_thread_duplicate_by_id_user", type_="foreignkey")
        batch.drop_constraint("fk_thread_duplicate_of_id_thread", type_="foreignkey")
        batch.drop_column("duplicate_at")
        batch.drop_column("duplicate_by_id")
        batch.drop_column("duplicate_of_id")
        batch.drop_column("alias_salt")
        batch.drop_column("is_anonymous")
        batch.drop_column("is_private")
    with op.batch_alter_table("course") as batch:
        batch.drop_column("allow_anonymous")
