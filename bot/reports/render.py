"""A report as terminal text, JSON, CSV (one header row, ISO dates) or a standalone HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from typing import Any

from ownership.reports.clocks import Clock
from ownership.reports.figures import ContractFigures, Periods, Report, TeamFigures

FORMATS = ("text", "json", "csv", "html")
CSV_HEADER = (
    "since", "until", "contract", "owner_team", "consumer_teams", "expected_periods",
    "on_time_periods", "on_time_pct", "breaches", "downtime_minutes", "worst_downtime_minutes",
    "alerts", "silenced", "false_alarm_share", "sla_too_tight_share",
)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def minutes(clock: Clock) -> str:
    running = f", {clock.running} running" if clock.running else ""
    if clock.never:
        running += f", {clock.never} never acknowledged"
    if clock.mean_minutes is None:
        return f"– ({clock.stopped} stopped{running})"
    return f"{clock.mean_minutes:.0f} min (max {clock.max_minutes:.0f}, n={clock.stopped}{running})"


def share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def render_text(report: Report) -> str:
    w = report.window
    lines = [f"SLA report {w.since.isoformat()} to {w.until.isoformat()} (until excluded, UTC)", ""]
    lines.append("Contracts")
    for c in report.contracts:
        p = c.periods
        lines.append(
            f"  {c.contract_id}  owner {c.owner_team}: on time {pct(p.on_time_pct)} of "
            f"{p.expected}, {p.late} breach(es), downtime {p.downtime_minutes} min "
            f"(worst {p.worst_downtime_minutes}), false alarms {share(c.false_alarm_share)}, "
            f"SLA too tight {share(c.sla_too_tight_share)}"
        )
    lines += ["", "Teams"]
    for t in report.teams:
        lines.append(
            f"  {t.team}: owns on time {pct(t.owned.on_time_pct)} ({t.owned.late} breaches), "
            f"consumes on time {pct(t.consumed.on_time_pct)}, {t.open_incidents} open incident(s)"
        )
        lines.append(f"    alerts MTTA {minutes(t.alert_mtta)}, MTTR {minutes(t.alert_mttr)}")
        lines.append(
            f"    incidents MTTA {minutes(t.incident_mtta)}, MTTR {minutes(t.incident_mttr)}"
        )
    if report.requests:
        lines += ["", "Data requests (request to accepted contract)"]
        for r in report.requests:
            lines.append(
                f"  {r.team}: {r.made} made, {r.accepted} accepted, {r.declined} declined; "
                f"to accepted {minutes(r.to_accepted)}"
            )
    if report.weeks:
        lines += ["", "On time per week"]
        for week, row in report.weeks:
            cells = ", ".join(f"{cid} {pct(v)}" for cid, v in row)
            lines.append(f"  {week.since.isoformat()}: {cells}")
    return "\n".join(lines) + "\n"


def _periods(p: Periods) -> dict[str, Any]:
    return {
        "expected_periods": p.expected, "on_time_periods": p.on_time,
        "on_time_pct": p.on_time_pct, "breaches": p.late,
        "downtime_minutes": p.downtime_minutes, "worst_downtime_minutes": p.worst_downtime_minutes,
    }


def _clock(c: Clock) -> dict[str, Any]:
    return {"stopped": c.stopped, "running": c.running, "never": c.never,
            "mean_minutes": c.mean_minutes, "max_minutes": c.max_minutes}


def _contract(c: ContractFigures) -> dict[str, Any]:
    return {
        "contract": c.contract_id, "owner_team": c.owner_team,
        "consumer_teams": list(c.consumer_teams), **_periods(c.periods), "alerts": c.alerts,
        "silenced": c.silenced, "resolved_with_reason": c.resolved_with_reason,
        "false_alarm_share": c.false_alarm_share, "sla_too_tight_share": c.sla_too_tight_share,
    }


def _team(t: TeamFigures) -> dict[str, Any]:
    return {
        "team": t.team, "owned": _periods(t.owned), "consumed": _periods(t.consumed),
        "alert_mtta": _clock(t.alert_mtta), "alert_mttr": _clock(t.alert_mttr),
        "incident_mtta": _clock(t.incident_mtta), "incident_mttr": _clock(t.incident_mttr),
        "open_incidents": t.open_incidents,
    }


def as_json(report: Report, weekly: Sequence[Report] = ()) -> dict[str, Any]:
    return {
        "since": report.window.since.isoformat(), "until": report.window.until.isoformat(),
        "generated_at": report.now.isoformat(),
        "contracts": [_contract(c) for c in report.contracts],
        "teams": [_team(t) for t in report.teams],
        "requests": [
            {"team": r.team, "made": r.made, "accepted": r.accepted, "declined": r.declined,
             "to_accepted": _clock(r.to_accepted)}
            for r in report.requests
        ],
        "weeks": [
            {"since": r.window.since.isoformat(), "until": r.window.until.isoformat(),
             "contracts": [_contract(c) for c in r.contracts]}
            for r in weekly
        ],
    }


def render_json(report: Report, weekly: Sequence[Report] = ()) -> str:
    return json.dumps(as_json(report, weekly), indent=2) + "\n"


def render_csv(report: Report, weekly: Sequence[Report] = ()) -> str:
    """One row per contract for the whole window, then per week; empty cell for no figure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in (report, *weekly):
        for c in r.contracts:
            p = c.periods
            writer.writerow([
                r.window.since.isoformat(), r.window.until.isoformat(), c.contract_id,
                c.owner_team, " ".join(c.consumer_teams), p.expected, p.on_time,
                "" if p.on_time_pct is None else f"{p.on_time_pct:.2f}", p.late,
                p.downtime_minutes, p.worst_downtime_minutes, c.alerts, c.silenced,
                "" if c.false_alarm_share is None else f"{c.false_alarm_share:.3f}",
                "" if c.sla_too_tight_share is None else f"{c.sla_too_tight_share:.3f}",
            ])
    return out.getvalue()


def html_tables(report: Report) -> str:
    """The report's tables as an HTML fragment, every value escaped."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(c.contract_id)}</td><td>{e(c.owner_team)}</td>"
        f"<td>{pct(c.periods.on_time_pct)}</td><td>{c.periods.late}</td>"
        f"<td>{c.periods.downtime_minutes}</td><td>{c.periods.worst_downtime_minutes}</td>"
        f"<td>{share(c.false_alarm_share)}</td><td>{share(c.sla_too_tight_share)}</td></tr>"
        for c in report.contracts
    )
    teams = "".join(
        f"<tr><td>{e(t.team)}</td><td>{pct(t.owned.on_time_pct)}</td>"
        f"<td>{pct(t.consumed.on_time_pct)}</td><td>{e(minutes(t.alert_mtta))}</td>"
        f"<td>{e(minutes(t.alert_mttr))}</td><td>{e(minutes(t.incident_mtta))}</td>"
        f"<td>{e(minutes(t.incident_mttr))}</td><td>{t.open_incidents}</td></tr>"
        for t in report.teams
    )
    return (
        "<table class=contracts><tr><th>contract</th><th>owner</th><th>on time</th>"
        "<th>breaches</th><th>downtime min</th><th>worst min</th><th>false alarms</th>"
        f"<th>SLA too tight</th></tr>{rows}</table>"
        "<table class=teams><tr><th>team</th><th>owned on time</th><th>consumed on time</th>"
        "<th>alert MTTA</th><th>alert MTTR</th><th>incident MTTA</th><th>incident MTTR</th>"
        f"<th>open incidents</th></tr>{teams}</table>"
    )


def render_html(report: Report, weekly: Sequence[Report] = ()) -> str:
    w = report.window
    title = f"SLA report {w.since.isoformat()} to {w.until.isoformat()}"
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style></head>"
        f"<body><h1>{title}</h1>{html_tables(report)}</body></html>\n"
    )


def render(report: Report, weekly: Sequence[Report], fmt: str) -> str:
    if fmt == "json":
        return render_json(report, weekly)
    if fmt == "csv":
        return render_csv(report, weekly)
    if fmt == "html":
        return render_html(report, weekly)
    return render_text(report)
