"""Change notices (announcements and reminders posted) and schema drift alerts.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-25 18:57:29.443357
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_notice_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("contract_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_notice_posts")),
        sa.UniqueConstraint("notice_id", "kind", name=op.f("uq_change_notice_posts_notice_id")),
    )
    with op.batch_alter_table("change_notice_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_notice_posts_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "schema_drift_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=200), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("table_name", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("consumer_channels", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schema_drift_alerts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_schema_drift_alerts_open_key")),
    )
    with op.batch_alter_table("schema_drift_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schema_drift_alerts_contract_id"), ["contract_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("schema_drift_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schema_drift_alerts_contract_id"))

    op.drop_table("schema_drift_alerts")
    with op.batch_alter_table("change_notice_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_notice_posts_contract_id"))

    op.drop_table("change_notice_posts")
