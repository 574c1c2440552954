"""A late-data alert whose upstream is failing a quality check says so in its thread.

A downstream job often does not run when its input fails a test (a failed dbt test stops
the models after it), so the downstream's late-data alert and the upstream's quality alert
are one problem seen from two sides. They are not folded into one root: a quality alert
resolves when its check passes, a late-data alert when the data lands, and each pages its
own owner. Instead, whichever opens second posts one line in the late-data alert's thread
naming the other, so the on-call engineer starts upstream: when a late-data root is posted
(`note_upstream_quality`), and when a quality alert opens upstream of late-data roots
already posted (`note_downstream_late`, at most `MAX_NOTES` of them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.escape import channel_ref, code, escape
from bot.db.models import Alert, QualityAlert
from bot.freshness.roots import open_alerts_of, reply
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.timeparse import format_instant

MAX_NOTES = 20  # downstream threads told about one new quality alert; the rest are its fold
UNVERIFIED = "check-failed"  # a quality check that could not run is not a cause


def _related(registry: Registry, contract: Contract, direction: str) -> list[str]:
    """Contract ids up (or down) the lineage from `contract`, nearest first."""
    out = []
    for asset, _ in walk(registry, contract.asset, direction, max_depth=len(registry.assets)):
        other = registry.contract_for(asset)
        if other is not None and other.id != contract.id and other.id not in out:
            out.append(other.id)
    return out


def text(quality: QualityAlert, late_contract: str, now: datetime) -> str:
    """The note, the same whichever alert came first."""
    return (
        f":mag: Upstream {code(quality.contract_id)} is failing its quality check "
        f"{code(quality.check_id)} since {format_instant(quality.opened_at, now)} "
        f"({escape(quality.detail)}): this may be why {code(late_contract)} is late. "
        f"Its alert is in {channel_ref(quality.channel)}."
    )


def note_upstream_quality(
    session: Session, registry: Registry, contract: Contract, alert: Alert, now: datetime
) -> bool:
    """After `alert`'s root was posted: name the nearest upstream quality alert open now."""
    upstream = _related(registry, contract, "up")
    if not upstream:
        return False
    rows = session.scalars(
        select(QualityAlert).where(
            QualityAlert.contract_id.in_(upstream),
            QualityAlert.status == "open",
            QualityAlert.check_id != UNVERIFIED,
        )
    ).all()
    if not rows:
        return False
    nearest = min(rows, key=lambda q: (upstream.index(q.contract_id), q.id))
    reply(session, alert, text(nearest, contract.id, now), now)
    return True


def note_downstream_late(
    session: Session, registry: Registry, contract: Contract, quality: QualityAlert, now: datetime
) -> int:
    """After `quality` opened on `contract`: a note in the thread of each late-data root
    downstream of it (posted, not folded under another); how many."""
    if quality.check_id == UNVERIFIED:
        return 0
    downstream = _related(registry, contract, "down")
    open_late = open_alerts_of(session, downstream)  # one query
    told = 0
    for contract_id in downstream:
        for late in open_late.get(contract_id, ()):
            if told >= MAX_NOTES:
                return told
            if late.caused_by_alert_id is None and late.channel:
                reply(session, late, text(quality, contract_id, now), now)
                told += 1
    return told
