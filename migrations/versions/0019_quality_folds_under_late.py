"""A quality alert folded under an upstream contract's late-data alert: `caused_by_late_id`
names that freshness alert (`alerts.id`), so one incident has one root.

No foreign key: SQLite cannot add one to an existing table without rebuilding it, and the
alert it names is never deleted while open (alerts are kept).

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("quality_alerts", sa.Column("caused_by_late_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quality_alerts", schema=None) as batch_op:
        batch_op.drop_column("caused_by_late_id")
