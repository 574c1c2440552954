"""`demarc status`'s section on dead letters (Slack messages set aside undelivered)."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.freshness.report import stamp, table
from bot.outbox.dead import count_dead, dead_letters


def render_dead_letters(engine: Engine, limit: int = 20) -> str:
    """A heading and a table of the newest dead letters; "" when there are none."""
    total = count_dead(engine)
    if not total:
        return ""
    rows = [
        [str(d.id), d.channel, d.method, stamp(d.created_at), str(d.attempts), d.error[:70]]
        for d in dead_letters(engine, limit)
    ]
    shown = f", the newest {len(rows)} shown" if total > len(rows) else ""
    heading = (
        f"{total} dead letter(s): Slack messages set aside undelivered{shown} "
        "(the admin channel was told; see docs/deploy.md)"
    )
    columns = ["outbox id", "channel", "method", "enqueued", "attempts", "error"]
    return heading + "\n" + table(columns, rows)
