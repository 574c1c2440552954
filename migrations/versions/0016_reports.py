"""Weekly digests queued (one per team and week: digest_posts), and why an incident was
resolved (fixed upstream, fixed here, expected, false alarm, SLA too tight): optional, so
older incidents and a resolve without an answer keep NULL.

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
    op.create_table(
        "digest_posts",
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("team", "week", name=op.f("pk_digest_posts")),
    )
    # reports and /metrics read alerts and incidents by when they opened, never the whole table
    op.create_index(op.f("ix_alerts_opened_at"), "alerts", ["opened_at"], unique=False)
    op.create_index(op.f("ix_incidents_opened_at"), "incidents", ["opened_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_incidents_opened_at"), table_name="incidents")
    op.drop_index(op.f("ix_alerts_opened_at"), table_name="alerts")
    op.drop_table("digest_posts")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("resolution_reason")
