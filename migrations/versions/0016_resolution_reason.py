"""Why an incident was resolved (fixed upstream, fixed here, expected, false alarm, SLA too
tight): optional, so older incidents and a resolve without an answer keep NULL.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("resolution_reason", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("resolution_reason")
