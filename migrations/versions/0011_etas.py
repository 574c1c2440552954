"""ETAs given on late alerts (issue 13): when the upstream responder expects the data.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "etas",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.String(length=200), nullable=False),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=False),
        sa.Column("given_by", sa.String(length=40), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_etas")),
    )
    op.create_index(op.f("ix_etas_alert_id"), "etas", ["alert_id"], unique=False)
    op.create_index(op.f("ix_etas_contract_id"), "etas", ["contract_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_etas_contract_id"), table_name="etas")
    op.drop_index(op.f("ix_etas_alert_id"), table_name="etas")
    op.drop_table("etas")
