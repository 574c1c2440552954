"""The outbox's queue index: each channel's pending and sending rows in delivery order.

Every delivery round asks, for each due row, whether an earlier row of its channel is pending
or being sent; with an index on `channel` alone that reads the channel's whole history (sent
rows are kept), so a round got slower as the table grew. (channel, status, priority, id)
answers it from the few rows still queued.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_queue", "outbox", ["channel", "status", "priority", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_queue", table_name="outbox")
