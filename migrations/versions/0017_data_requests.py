"""Data requests and their timelines (issue 17).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("consumer_team", sa.String(length=200), nullable=False),
        sa.Column("accountable_team", sa.String(length=200), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("pull_request", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_requests_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_requests_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_data_requests_next_reminder_at"), ["next_reminder_at"], unique=False
        )
    op.create_table(
        "data_request_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_requests.id"],
            name=op.f("fk_data_request_events_request_id_data_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_request_events")),
    )
    with op.batch_alter_table("data_request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_request_events_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("data_request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_request_events_request_id"))
    op.drop_table("data_request_events")
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_requests_next_reminder_at"))
        batch_op.drop_index(batch_op.f("ix_data_requests_state"))
        batch_op.drop_index(batch_op.f("ix_data_requests_source"))
    op.drop_table("data_requests")
