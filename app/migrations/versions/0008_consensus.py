"""Failing checks and suspected errata (issue #18): check locations, groups of matching outputs,
the checks themselves, opt-outs; the evidence behind a suspected erratum and who to tell

Revision ID: 0008_consensus
Revises: 0007_forum_privacy
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_consensus"
down_revision: str | None = "0007_forum_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_opt_out",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "check_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("notebook_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assignment_id", "notebook_version", "location"),
    )
    with op.batch_alter_table("check_location", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_location_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "check_cluster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("representative", sa.Text(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["check_location.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("check_cluster", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_cluster_location_id"), ["location_id"], unique=False
        )

    op.create_table(
        "failing_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("notebook_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("learner_key", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ip_key", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("new_account", sa.Boolean(), nullable=False),
        sa.Column("actual_output", sa.Text(), nullable=False),
        sa.Column("expected_output", sa.Text(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("parseable", sa.Boolean(), nullable=False),
        sa.Column("matches_expected", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cluster_id"], ["check_cluster.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["location_id"], ["check_location.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("failing_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_failing_check_assignment_id"), ["assignment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_failing_check_cluster_id"), ["cluster_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_failing_check_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_failing_check_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_failing_check_user_id"), ["user_id"], unique=False)

    op.create_table(
        "suspected_erratum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("erratum_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("notebook_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("proposed_output", sa.Text(), nullable=False),
        sa.Column("published_output", sa.Text(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("first_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("samples", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("notified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["erratum_id"], ["erratum.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cluster_id"),
        sa.UniqueConstraint("erratum_id"),
    )
    with op.batch_alter_table("suspected_erratum", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suspected_erratum_assignment_id"), ["assignment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_suspected_erratum_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "suspected_erratum_learner",
        sa.Column("suspect_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["suspect_id"], ["suspected_erratum.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("suspect_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("suspected_erratum_learner")
    with op.batch_alter_table("suspected_erratum", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suspected_erratum_course_id"))
        batch_op.drop_index(batch_op.f("ix_suspected_erratum_assignment_id"))

    op.drop_table("suspected_erratum")
    with op.batch_alter_table("failing_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_failing_check_user_id"))
        batch_op.drop_index(batch_op.f("ix_failing_check_location_id"))
        batch_op.drop_index(batch_op.f("ix_failing_check_created_at"))
        batch_op.drop_index(batch_op.f("ix_failing_check_cluster_id"))
        batch_op.drop_index(batch_op.f("ix_failing_check_assignment_id"))

    op.drop_table("failing_check")
    with op.batch_alter_table("check_cluster", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_cluster_location_id"))

    op.drop_table("check_cluster")
    with op.batch_alter_table("check_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_location_course_id"))

    op.drop_table("check_location")
    op.drop_table("check_opt_out")
