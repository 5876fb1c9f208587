"""ask feedback bound to the asker: the hash of a secret returned with each ask

Revision ID: 0003_ask_owner
Revises: 0002_identity
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_ask_owner"
down_revision: str | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Asks logged before this revision have no secret: only a signed-in asker may rate them.
    with op.batch_alter_table("ask_log") as batch_op:
        batch_op.add_column(
            sa.Column("feedback_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("ask_log") as batch_op:
        batch_op.drop_column("feedback_hash")
