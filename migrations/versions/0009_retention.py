"""Retention: daily check rollups, folded metric totals, indexes for pruning.

`check_rollups` keeps one row per contract and UTC day (what reports need once the check rows
are pruned); `metric_totals` holds counters folded out of history rows, so /metrics reads a
few rows instead of scanning tables; `ix_check_results_contract_id_id` lets pruning find "a
newer check of this contract exists" with one index probe, `ix_outbox_created_at` lets it
take the oldest outbox rows first.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_rollups",
        sa.Column("contract_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("expected_periods", sa.Integer(), nullable=False),
        sa.Column("on_time_periods", sa.Integer(), nullable=False),
        sa.Column("late_periods", sa.Integer(), nullable=False),
        sa.Column("downtime_minutes", sa.Integer(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "day", name=op.f("pk_check_rollups")),
    )
    op.create_index(op.f("ix_check_rollups_day"), "check_rollups", ["day"], unique=False)
    op.create_table(
        "metric_totals",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", "label", name=op.f("pk_metric_totals")),
    )
    op.create_index(op.f("ix_outbox_created_at"), "outbox", ["created_at"], unique=False)
    op.create_index(
        "ix_check_results_contract_id_id", "check_results", ["contract_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_check_results_contract_id_id", table_name="check_results")
    op.drop_index(op.f("ix_outbox_created_at"), table_name="outbox")
    op.drop_table("metric_totals")
    op.drop_index(op.f("ix_check_rollups_day"), table_name="check_rollups")
    op.drop_table("check_rollups")
