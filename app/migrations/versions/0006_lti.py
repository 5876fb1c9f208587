"""LTI 1.3: platforms, deployments, the tool's keys, identities, nonces, context maps, refusals

Revision ID: 0006_lti
Revises: 0005_mail
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_lti"
down_revision: str | None = "0005_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lti_platform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("auth_login_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("auth_token_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("key_set_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("frame_origins", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "client_id"),
    )
    op.create_index(op.f("ix_lti_platform_issuer"), "lti_platform", ["issuer"], unique=False)
    op.create_table(
        "lti_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("issuer", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("client_ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_lti_refusal_at"), "lti_refusal", ["at"], unique=False)
    op.create_table(
        "lti_tool_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
    )
    op.create_table(
        "lti_context",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "context_id"),
    )
    op.create_index(op.f("ix_lti_context_course_id"), "lti_context", ["course_id"], unique=False)
    op.create_index(
        op.f("ix_lti_context_platform_id"), "lti_context", ["platform_id"], unique=False
    )
    op.create_table(
        "lti_deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "deployment_id"),
    )
    op.create_index(
        op.f("ix_lti_deployment_platform_id"), "lti_deployment", ["platform_id"], unique=False
    )
    op.create_table(
        "lti_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_launch_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject"),
    )
    op.create_index(op.f("ix_lti_identity_user_id"), "lti_identity", ["user_id"], unique=False)
    op.create_table(
        "lti_nonce",
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("state"),
        sa.UniqueConstraint("nonce"),
    )
    op.create_index(op.f("ix_lti_nonce_expires_at"), "lti_nonce", ["expires_at"], unique=False)
    op.create_index(op.f("ix_lti_nonce_platform_id"), "lti_nonce", ["platform_id"], unique=False)
    op.create_table(
        "lti_resource_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("resource_link_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "resource_link_id"),
    )
    op.create_index(
        op.f("ix_lti_resource_link_assignment_id"),
        "lti_resource_link",
        ["assignment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lti_resource_link_course_id"), "lti_resource_link", ["course_id"], unique=False
    )
    op.create_index(
        op.f("ix_lti_resource_link_platform_id"), "lti_resource_link", ["platform_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lti_resource_link_platform_id"), table_name="lti_resource_link")
    op.drop_index(op.f("ix_lti_resource_link_course_id"), table_name="lti_resource_link")
    op.drop_index(op.f("ix_lti_resource_link_assignment_id"), table_name="lti_resource_link")
    op.drop_table("lti_resource_link")
    op.drop_index(op.f("ix_lti_nonce_platform_id"), table_name="lti_nonce")
    op.drop_index(op.f("ix_lti_nonce_expires_at"), table_name="lti_nonce")
    op.drop_table("lti_nonce")
    op.drop_index(op.f("ix_lti_identity_user_id"), table_name="lti_identity")
    op.drop_table("lti_identity")
    op.drop_index(op.f("ix_lti_deployment_platform_id"), table_name="lti_deployment")
    op.drop_table("lti_deployment")
    op.drop_index(op.f("ix_lti_context_platform_id"), table_name="lti_context")
    op.drop_index(op.f("ix_lti_context_course_id"), table_name="lti_context")
    op.drop_table("lti_context")
    op.drop_table("lti_tool_key")
    op.drop_index(op.f("ix_lti_refusal_at"), table_name="lti_refusal")
    op.drop_table("lti_refusal")
    op.drop_index(op.f("ix_lti_platform_issuer"), table_name="lti_platform")
    op.drop_table("lti_platform")
