"""Alerts keep what their latest check saw and what their root shows.

`checked_at` is the time of the check whose numbers the root shows; `root_digest` is a
fingerprint of the root as last written to the outbox (an edit that changes nothing is not
sent); `note_outbox_id` / `note_names` are the "also affected" thread reply still waiting in
the outbox and the contracts it names (newly attached contracts join it instead of queueing
one reply each).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("root_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("note_outbox_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("note_names", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("note_names")
        batch_op.drop_column("note_outbox_id")
        batch_op.drop_column("root_digest")
        batch_op.drop_column("checked_at")
