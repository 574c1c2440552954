"""ETAs on late alerts: the upstream responder says when the data will land (the alert's ETA
menu, or `/ack [contract] 05:30`). Every downstream warning is moved to the new expected time,
`/whoowns` shows it, and a missed ETA re-pages whoever gave it (docs/freshness.md, "ETAs")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.escape import code, user_mention
from bot.db.models import Alert, EtaRow
from bot.freshness import predictions as P
from bot.freshness import roots as R
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.sla import Evaluation, FreshnessState
from ownership.timeparse import format_duration, format_instant


@dataclass(frozen=True)
class Expected:
    """What `/whoowns` says of one contract's expected landing."""

    contract: str
    at: datetime
    why: str  # "ETA from <@U…>", or "customer_master_db's ETA + its usual 1 h 50 min"


def latest_eta(session: Session, alert_id: int) -> EtaRow | None:
    return session.scalars(
        select(EtaRow).where(EtaRow.alert_id == alert_id).order_by(EtaRow.id.desc())
    ).first()


def find_alert(
    session: Session, registry: Registry, contract_id: str | None, channel: tuple[str, ...]
) -> Alert | None:
    """The open late alert of `contract_id`, or else the newest one posted in `channel`."""
    query = select(Alert).where(Alert.kind == "late", Alert.status == "open")
    if contract_id is not None:
        query = query.where(Alert.contract_id == contract_id)
    else:
        query = query.where(Alert.channel.in_(channel))
    return session.scalars(query.order_by(Alert.id.desc())).first()


def give_eta(
    engine: Engine,
    registry: Registry,
    alert_id: int | None,
    eta: datetime,
    user_id: str,
    now: datetime,
    *,
    contract_id: str | None = None,
    channel: tuple[str, ...] = (),
) -> str:
    """Record an ETA on an open late alert and move the downstream expectations; the text for
    the person who gave it."""
    with sessionmaker(engine).begin() as session:
        alert = (
            session.get(Alert, alert_id)
            if alert_id is not None
            else find_alert(session, registry, contract_id, channel)
        )
        contract = registry.contracts.get(alert.contract_id) if alert else None
        if alert is None or contract is None:
            which = f" for {code(contract_id)}" if contract_id else " in this channel"
            return f"No late alert is open{which}: nothing to give an ETA for."
        if alert.status != "open" or alert.kind != "late":
            return f"{code(contract.id)} is not late any more; no ETA needed."
        session.add(EtaRow(alert_id=alert.id, contract_id=contract.id, eta=eta,
                           given_by=user_id, given_at=now))  # fmt: skip
        who = user_mention(user_id) or "someone"
        cause = session.get(Alert, alert.caused_by_alert_id) if alert.caused_by_alert_id else None
        late = Evaluation(FreshnessState.LATE, late_by=now - alert.deadline if alert.deadline
                          else None)  # fmt: skip
        moved = P.warn_downstream(session, registry, contract, late, now, eta=eta)
        edited = _downstream_count(session, contract.id)
        R.reply(
            session,
            cause or alert,
            f":stopwatch: {who} expects {code(contract.id)} at {format_instant(eta, now)}."
            + (f" {edited} downstream warning(s) show the new expected time." if edited else ""),
            now,
        )
    more = f"; {len(moved)} downstream owner(s) newly warned" if moved else ""
    return f"ETA for {code(contract.id)}: {format_instant(eta, now)}{more}."


def _downstream_count(session: Session, upstream_id: str) -> int:
    return len(
        session.scalars(
            select(Alert.id).where(
                Alert.kind == P.KIND, Alert.status == "warned", Alert.affected == upstream_id
            )
        ).all()
    )


def check_missed(session: Session, registry: Registry, contract: Contract, now: datetime) -> bool:
    """While late: if the latest ETA on the open alert has passed, re-page who gave it, once."""
    for alert in R.open_alerts(session, contract.id):
        if repage_missed(session, contract, alert, latest_eta(session, alert.id), now):
            return True
    return False


def repage_missed(
    session: Session, contract: Contract, alert: Alert, row: EtaRow | None, now: datetime
) -> bool:
    """If `row`, the latest ETA on `alert`, has passed unmissed: mark it and re-page, once."""
    if row is None or row.missed_at is not None or row.eta >= now:
        return False
    row.missed_at = now
    cause = session.get(Alert, alert.caused_by_alert_id) if alert.caused_by_alert_id else None
    who = user_mention(row.given_by) or "whoever gave it"
    R.reply(
        session,
        cause or alert,
        f":rotating_light: {who}: the ETA {format_instant(row.eta, now)} for "
        f"{code(contract.id)} has passed and it is still late. Give a new one: "
        f"`/ack {contract.id} 07:00` (or the ETA menu).",
        now,
    )
    return True


def expected_times(
    engine: Engine, registry: Registry, asset_id: str, now: datetime
) -> list[Expected]:
    """The ETAs on the asset's and its upstreams' open alerts, and what they mean for the
    asset's own contracts (for `/whoowns`)."""
    assets = {asset_id, *(a for a, _ in walk(registry, asset_id, "up", max_depth=50))}
    ids = [c.id for c in registry.contracts.values() if c.asset in assets]
    if not ids:
        return []
    out: list[Expected] = []
    with sessionmaker(engine)() as session:
        alerts = session.scalars(
            select(Alert).where(
                Alert.contract_id.in_(ids), Alert.kind == "late", Alert.status == "open"
            )
        ).all()
        own = {c.id for c in registry.contracts.values() if c.asset == asset_id}
        for alert in alerts:
            row = latest_eta(session, alert.id)
            contract = registry.contracts.get(alert.contract_id)
            if row is None or contract is None:
                continue
            who = user_mention(row.given_by) or "the responder"
            out.append(Expected(contract.id, row.eta, f"ETA from {who}"))
            if contract.id in own:
                continue
            for p in P.expectations(session, registry, contract, row.eta, now):
                if p.contract in own:
                    out.append(Expected(p.contract, p.arrival, f"{code(contract.id)}'s ETA + "
                                        f"its usual {format_duration(p.lag)}"))  # fmt: skip
    return out
