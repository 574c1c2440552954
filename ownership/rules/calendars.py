"""SLA calendars against themselves and against who is on call.

Both rules look at a sample of the SLA's periods (two weeks from a fixed Monday, a year for
cron and weekly SLAs), so the registry is judged the same on every run, with no clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from ownership.calendars import covers, describe_calendar, describe_days, in_hours
from ownership.model import Contract, DeadlineSla, Team
from ownership.periods import Period, next_period, period_at
from ownership.read.fields import did_you_mean
from ownership.rules.context import Problems, RuleContext, error, warning
from ownership.timeparse import zone

_FROM = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, out of any DST change
_MOST = 400  # periods looked at, at most


def _sample(sla: DeadlineSla) -> Iterator[Period]:
    span = timedelta(days=370 if sla.frequency in ("cron", "weekly") else 15)
    period = period_at(sla, _FROM)
    for _ in range(_MOST):
        period = next_period(sla, period)
        if period.expected > _FROM + span:
            return
        yield period


def _on_calendar(sla: DeadlineSla, period: Period) -> bool:
    """Expected by weekday and hours (holidays aside: a few days a year never empty it)."""
    if sla.calendar is None:
        return True
    local = period.expected.astimezone(zone(sla.timezone))
    return local.weekday() in sla.calendar.weekdays and in_hours(
        sla.calendar.active_hours, local.time()
    )


def calendar_has_expected_day(ctx: RuleContext, contract: Contract) -> Problems:
    """An SLA's calendar leaves at least one period expected (else it is never checked)."""
    sla = contract.sla
    if sla is None or sla.calendar is None:
        return
    if not any(_on_calendar(sla, p) for p in _sample(sla)):
        yield warning(
            contract.where("sla"),
            f"contract '{contract.id}': its calendar ({describe_calendar(sla.calendar)}) leaves "
            "no period expected, so it is never checked; widen its days or active_hours",
            "calendar-never-expected",
        )


def _paged_teams(ctx: RuleContext, contract: Contract) -> list[Team]:
    """The R teams of the contract's asset, else its owner team."""
    asset = ctx.registry.assets.get(contract.asset)
    names = ctx.holders(asset).responsible if asset is not None else []
    found = [ctx.registry.teams[n] for n in names if n in ctx.registry.teams]
    owner = ctx.registry.teams.get(contract.owner_team)
    return found or ([owner] if owner is not None else [])


def sla_time_is_covered(ctx: RuleContext, contract: Contract) -> Problems:
    """An expected deadline falls inside the R team's on-call coverage (`oncall.covers`)."""
    sla = contract.sla
    if sla is None:
        return
    for team in _paged_teams(ctx, contract):
        rotation = team.rotation
        if rotation is None or rotation.covers is None:
            continue
        for period in _sample(sla):
            if _on_calendar(sla, period) and not covers(
                rotation.covers, rotation.timezone, period.deadline
            ):
                local = period.deadline.astimezone(zone(sla.timezone))
                cover = rotation.covers
                hours = (
                    f" {cover.active_hours[0]:%H:%M}-{cover.active_hours[1]:%H:%M}"
                    if cover.active_hours
                    else ""
                )
                yield warning(
                    contract.where("sla"),
                    f"contract '{contract.id}' is late after {local:%a %H:%M} {sla.timezone}, "
                    f"when team '{team.id}' has nobody on call (its rotation covers "
                    f"{describe_days(cover.weekdays)}{hours} {rotation.timezone}); add "
                    "coverage or an sla calendar",
                    "sla-not-covered",
                )
                break


def after_names_a_contract(ctx: RuleContext, contract: Contract) -> Problems:
    """An event-relative SLA follows a contract that exists (and is not itself)."""
    after = contract.after
    if after is None:
        return
    if after.after == contract.id or after.after not in ctx.registry.contracts:
        yield error(
            contract.where("sla"),
            f"contract '{contract.id}' sla: after '{after.after}' names no other contract"
            + did_you_mean(after.after, ctx.registry.contracts),
            "unknown-contract",
            after.after,
        )
