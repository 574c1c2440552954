"""The weekly SLA digest of a team, as Block Kit: short, the numbers; the chart is the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks import Block, context, section
from bot.blocks.escape import code, escape, truncate
from ownership.reports.figures import ContractFigures, TeamFigures

WORST = 3


@dataclass(frozen=True, slots=True)
class OpenIncidentLine:
    id: int
    asset: str
    summary: str


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def worst_contracts(contracts: Sequence[ContractFigures]) -> list[ContractFigures]:
    """Those that broke their SLA this week, lowest on-time share first."""
    broke = [c for c in contracts if c.periods.late and c.periods.on_time_pct is not None]
    return sorted(broke, key=lambda c: (c.periods.on_time_pct or 0, c.contract_id))[:WORST]


def digest_text(team_name: str, week: str, team: TeamFigures) -> str:
    return (
        f"Weekly SLA digest for {team_name}, week of {week}: "
        f"{_pct(team.owned.on_time_pct)} on time, {team.owned.late} breach(es), "
        f"{team.open_incidents} open incident(s)."
    )


def render_digest(
    team_name: str,
    week: str,
    team: TeamFigures,
    contracts: Sequence[ContractFigures],
    incidents: Sequence[OpenIncidentLine],
) -> list[Block]:
    owned = team.owned
    blocks: list[Block] = [
        section(
            f"*Weekly SLA digest: {escape(team_name)}* (week of {week})\n"
            f"*{_pct(owned.on_time_pct)}* of {owned.expected} expected periods on time, "
            f"{owned.late} breach(es), {owned.downtime_minutes} min of data downtime "
            f"(worst {owned.worst_downtime_minutes} min)"
        )
    ]
    worst = worst_contracts(contracts)
    if worst:
        lines = [
            f"• {code(c.contract_id)}: {_pct(c.periods.on_time_pct)} on time, "
            f"{c.periods.late} late, worst {c.periods.worst_downtime_minutes} min"
            for c in worst
        ]
        blocks.append(section("*Worst contracts*\n" + "\n".join(lines)))
    if incidents:
        lines = [
            f"• #{i.id} {code(i.asset)}: {escape(truncate(i.summary, 80))}" for i in incidents[:5]
        ]
        more = f"\n…and {len(incidents) - 5} more" if len(incidents) > 5 else ""
        blocks.append(section(f"*Open incidents ({len(incidents)})*\n" + "\n".join(lines) + more))
    else:
        blocks.append(section("No open incidents."))
    blocks.append(context("Figures as defined in docs/reports.md; `demarc report` for more."))
    return blocks
