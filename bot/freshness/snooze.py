"""Snooze from Slack: a silence on the alert's asset for a chosen time, said in the thread."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from bot.blocks.alerts import when
from bot.blocks.escape import code, user_mention
from bot.db.models import Alert, SilenceRow
from bot.freshness import roots as R
from ownership.model import Registry
from ownership.timeparse import format_duration

MAX_SNOOZE = timedelta(days=7)


def snooze_alert(
    engine: Engine, registry: Registry, alert_id: int, minutes: int, user_id: str, now: datetime
) -> str:
    """Silence the alert's asset for `minutes`; returns the text for the person who asked."""
    duration = timedelta(minutes=minutes)
    if not timedelta(0) < duration <= MAX_SNOOZE:
        return "Pick a snooze between 1 minute and 7 days."
    with sessionmaker(engine).begin() as session:
        alert = session.get(Alert, alert_id)
        contract = registry.contracts.get(alert.contract_id) if alert else None
        if alert is None or contract is None:
            return "That alert no longer exists (was the contract removed from the registry?)."
        if alert.status != "open":
            return f"{code(contract.id)} already recovered; nothing to snooze."
        until = now + duration
        session.add(
            SilenceRow(
                asset=contract.asset,
                starts_at=now,
                ends_at=until,
                reason="snoozed from Slack",
                created_by=user_id,
            )
        )
        view = R.build_view(registry, contract, alert, now, snoozed_until=until)
        if alert.caused_by_alert_id is None:
            R.edit_root(session, view, alert, now)
        who = user_mention(user_id) or "someone"
        # an alert attached to its upstream's has no thread of its own: say it there
        cause = session.get(Alert, alert.caused_by_alert_id) if alert.caused_by_alert_id else None
        R.reply(
            session,
            cause or alert,
            f":zzz: Snoozed by {who} for {format_duration(duration)} "
            f"(until {when(until, now)}). Checks go on; no new alerts for "
            f"{code(contract.asset)} until then.",
            now,
        )
    return f"Snoozed {code(contract.id)} until {when(until, now)}."
