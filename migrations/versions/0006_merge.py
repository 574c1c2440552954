"""Join the incidents (0003), change notices (0004) and coordination (0005) branches.

Revision ID: 0006
Revises: 0003, 0004, 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | tuple[str, ...] | None = ("0003", "0004", "0005")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
