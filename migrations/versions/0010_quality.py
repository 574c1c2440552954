"""Data quality: alerts per contract, period and check; every check run; the latest sweep.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=200), nullable=False),
        sa.Column("period_key", sa.String(length=64), nullable=False),
        sa.Column("check_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("consumer_channels", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caused_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["caused_by_id"],
            ["quality_alerts.id"],
            name=op.f("fk_quality_alerts_caused_by_id_quality_alerts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_alerts")),
        sa.UniqueConstraint(
            "contract_id", "period_key", "check_id", name=op.f("uq_quality_alerts_contract_id")
        ),
    )
    with op.batch_alter_table("quality_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_alerts_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quality_alerts_status"), ["status"], unique=False)
    op.create_table(
        "quality_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=200), nullable=False),
        sa.Column("period_key", sa.String(length=64), nullable=False),
        sa.Column("check_id", sa.String(length=200), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_results")),
    )
    with op.batch_alter_table("quality_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_results_contract_id"), ["contract_id"], unique=False
        )
    op.create_table(
        "quality_status",
        sa.Column("contract_id", sa.String(length=200), nullable=False),
        sa.Column("period_key", sa.String(length=64), nullable=False),
        sa.Column("last_update", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("failing", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_quality_status")),
    )


def downgrade() -> None:
    op.drop_table("quality_status")
    with op.batch_alter_table("quality_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_results_contract_id"))
    op.drop_table("quality_results")
    with op.batch_alter_table("quality_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_alerts_status"))
        batch_op.drop_index(batch_op.f("ix_quality_alerts_contract_id"))
    op.drop_table("quality_alerts")
