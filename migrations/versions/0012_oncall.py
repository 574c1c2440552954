"""On-call: pages from answers, shifts taken from Slack, what the user-group sync last did.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oncall_pages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(length=200), nullable=False),
        sa.Column("paged", sa.String(length=200), nullable=False),
        sa.Column("asked_by", sa.String(length=40), nullable=False),
        sa.Column("query", sa.String(length=300), nullable=False),
        sa.Column("from_channel", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_pages")),
    )
    op.create_index(op.f("ix_oncall_pages_team_id"), "oncall_pages", ["team_id"])
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(length=200), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    op.create_index(op.f("ix_oncall_overrides_team_id"), "oncall_overrides", ["team_id"])
    op.create_index(op.f("ix_oncall_overrides_ends_at"), "oncall_overrides", ["ends_at"])
    op.create_table(
        "oncall_state",
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_oncall_state")),
    )


def downgrade() -> None:
    op.drop_table("oncall_state")
    op.drop_index(op.f("ix_oncall_overrides_ends_at"), table_name="oncall_overrides")
    op.drop_index(op.f("ix_oncall_overrides_team_id"), table_name="oncall_overrides")
    op.drop_table("oncall_overrides")
    op.drop_index(op.f("ix_oncall_pages_team_id"), table_name="oncall_pages")
    op.drop_table("oncall_pages")
