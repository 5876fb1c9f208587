"""identity: username lookalike keys and API token expiry

Revision ID: 0002_identity
Revises: 0001
"""

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_identity"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tokens made before expiry existed get the default lifetime from now, not from their creation:
# an upgrade must not cut off every notebook at once.
TOKEN_DAYS = 90


def _key(username: str) -> str:
    # Frozen copy of users.auth.username_skeleton as of this revision.
    from homoglyph._skeleton import skeleton

    once = skeleton(unicodedata.normalize("NFKC", username))
    return unicodedata.normalize("NFC", skeleton(once.casefold()))


def upgrade() -> None:
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(
            sa.Column("username_key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True)
        )
        batch_op.create_index("ix_user_username_key", ["username_key"])
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )

    conn = op.get_bind()
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("username", sa.String))
    keyed = sa.table("user", sa.column("id", sa.Integer), sa.column("username_key", sa.String))
    for uid, username in conn.execute(sa.select(user.c.id, user.c.username)).all():
        conn.execute(keyed.update().where(keyed.c.id == uid).values(username_key=_key(username)))
    token = sa.table(
        "api_token",
        sa.column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("scope", sa.String),
    )
    expires = datetime.now(UTC) + timedelta(days=TOKEN_DAYS)
    # Personal tokens start their lifetime now; widget tokens (embedded in pages) never expire.
    # scope is an enum type on PostgreSQL: compare its text.
    personal = token.c.expires_at.is_(None) & (sa.cast(token.c.scope, sa.String) != "widget")
    conn.execute(token.update().where(personal).values(expires_at=expires))


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_index("ix_user_username_key")
        batch_op.drop_column("username_key")
