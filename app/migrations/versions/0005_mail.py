"""subscriptions, delivery preferences, notify events, digest items, mail outbox (issue #15)

Revision ID: 0005_mail
Revises: 0004_chunk_vectors
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_mail"
down_revision: str | None = "0004_chunk_vectors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOW_KINDS = ("course", "assignment", "thread", "course_reports")
DELIVERIES = ("in_app", "immediate", "daily", "weekly")
MAIL_STATUSES = ("pending", "sent", "failed")
ENUMS = {"followkind": FOLLOW_KINDS, "delivery": DELIVERIES, "mailstatus": MAIL_STATUSES}


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _time() -> sqlmodel.sql.sqltypes.UTCDateTime:
    return sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    # Each PostgreSQL enum type is created once here; the tables only refer to it.
    types: dict[str, sa.types.TypeEngine] = {}
    for name, values in ENUMS.items():
        if postgres:
            postgresql.ENUM(*values, name=name).create(bind, checkfirst=True)
            types[name] = postgresql.ENUM(*values, name=name, create_type=False)
        else:
            types[name] = sa.Enum(*values, name=name)

    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", types["followkind"], nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "kind", "target_id"),
    )
    op.create_index("ix_subscription_target", "subscription", ["kind", "target_id"])
    op.create_index("ix_subscription_user_id", "subscription", ["user_id"])

    op.create_table(
        "delivery_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", types["followkind"], nullable=False),
        sa.Column("delivery", types["delivery"], nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "kind"),
    )

    op.create_table(
        "notify_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _string(40), nullable=False),
        sa.Column("subject_kind", types["followkind"], nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("group_title", _string(300), nullable=False),
        sa.Column("title", _string(300), nullable=False),
        sa.Column("message", _string(500), nullable=False),
        sa.Column("url", _string(300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=True),
        sa.Column("skip_in_app", sa.Text(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("fanned_out_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notify_event_fanned_out_at", "notify_event", ["fanned_out_at"])

    op.create_table(
        "notify_job",
        sa.Column("name", _string(40), nullable=False),
        sa.Column("next_run_at", _time(), nullable=False),
        sa.Column("last_run_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )

    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_addr", _string(320), nullable=False),
        sa.Column("subject", _string(300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("kind", _string(40), nullable=False),
        sa.Column("status", types["mailstatus"], nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _time(), nullable=False),
        sa.Column("claim_token", _string(40), nullable=True),
        sa.Column("lease_until", _time(), nullable=True),
        sa.Column("sent_at", _time(), nullable=True),
        sa.Column("last_error", _string(500), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mail_outbox_claim_token", "mail_outbox", ["claim_token"])
    # The workers' claim query: pending rows by due time.
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["status", "next_attempt_at"])

    op.create_table(
        "digest_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period", types["delivery"], nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["notify_event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["outbox_id"], ["mail_outbox.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_digest_item_pending", "digest_item", ["period", "outbox_id", "user_id"])
    op.create_index("ix_digest_item_user_id", "digest_item", ["user_id"])


def downgrade() -> None:
    for table in (
        "digest_item", "mail_outbox", "notify_job", "notify_event", "delivery_preference",
        "subscription",
    ):  # fmt: skip
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for name in ENUMS:
            postgresql.ENUM(name=name).drop(op.get_bind(), checkfirst=True)
