"""The read-only status page (docs/reports.md): every contract's state, owner and on-call, the
lineage coloured by state, scorecards with a chart, open incidents with their timelines.

One self-contained HTML document: inline CSS and SVG, no script, nothing fetched from
elsewhere, so it works offline and when Slack is down. Every registry or user text is escaped.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.models import ContractStatus, Incident, IncidentEvent
from bot.reports.chart import on_time_chart
from bot.reports.read import read_report
from bot.reports.render import html_tables
from ownership.model import Registry
from ownership.oncall import on_call
from ownership.reports.digest_time import chart_weeks
from ownership.reports.layout import place
from ownership.reports.windows import Window

COLOURS = {
    "on_time": "#1e8e3e",
    "recovered": "#1e8e3e",
    "late": "#d93025",
    "check_failed": "#f29900",
    "affected": "#fbbc04",  # downstream of a late asset
    "unknown": "#9aa0a6",
}
NODE_W, NODE_H, GAP_X, GAP_Y = 170, 34, 60, 18
e = html.escape


def asset_states(registry: Registry, states: dict[str, str]) -> dict[str, str]:
    """Each asset's colour key: its contract's state; else `affected` below a late one."""
    out: dict[str, str] = {}
    for asset_id in registry.assets:
        contract = registry.contract_for(asset_id)
        out[asset_id] = states.get(contract.id, "unknown") if contract else "unknown"
    for asset_id, state in list(out.items()):
        if state == "late":
            for below in registry.downstream_of(asset_id):
                if out.get(below) in ("on_time", "recovered", "unknown"):
                    out[below] = "affected"
    return out


def lineage_svg(registry: Registry, colour_of: dict[str, str]) -> str:
    upstream = {a.id: tuple(a.upstream) for a in registry.assets.values()}
    placed = {p.id: p for p in place(upstream)}

    def xy(node: str) -> tuple[int, int]:
        p = placed[node]
        return 10 + p.layer * (NODE_W + GAP_X), 10 + p.slot * (NODE_H + GAP_Y)

    width = 20 + (max((p.layer for p in placed.values()), default=0) + 1) * (NODE_W + GAP_X)
    height = 20 + (max((p.slot for p in placed.values()), default=0) + 1) * (NODE_H + GAP_Y)
    edges = []
    for node, ups in sorted(upstream.items()):
        for up in ups:
            if up in placed:
                (x1, y1), (x2, y2) = xy(up), xy(node)
                edges.append(
                    f'<line class=edge x1="{x1 + NODE_W}" y1="{y1 + NODE_H // 2}" '
                    f'x2="{x2}" y2="{y2 + NODE_H // 2}" stroke="#5f6368" '
                    'marker-end="url(#arrow)"/>'
                )
    nodes = []
    for node in sorted(placed):
        x, y = xy(node)
        state = colour_of.get(node, "unknown")
        nodes.append(
            f'<g class="node" data-asset="{e(node)}" data-state="{state}">'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" '
            f'fill="{COLOURS[state]}"/><text x="{x + 8}" y="{y + 21}" fill="#fff" '
            f'font-size="12">{e(node[:24])}</text><title>{e(node)}: {state}</title></g>'
        )
    return (
        f'<svg id="lineage" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><defs><marker id="arrow" '
        'viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#5f6368"/></marker></defs>'
        + "".join(edges) + "".join(nodes) + "</svg>"
    )


def _svg(data: bytes) -> str:
    text = data.decode("utf-8")
    return text[text.index("<svg"):]


def _contracts_table(registry: Registry, states: dict[str, str], now: datetime) -> str:
    rows = []
    for contract in sorted(registry.contracts.values(), key=lambda c: c.id):
        state = states.get(contract.id, "unknown")
        team = registry.teams.get(contract.owner_team)
        person = on_call(team, now) if team else None
        rows.append(
            f'<tr data-contract="{e(contract.id)}"><td>{e(contract.id)}</td>'
            f'<td><span class=state style="background:{COLOURS.get(state, COLOURS["unknown"])}">'
            f"{e(state)}</span></td><td>{e(team.name if team else contract.owner_team)}</td>"
            f"<td>{e(person.name if person else '–')}</td></tr>"
        )
    return (
        "<table id=contracts><tr><th>contract</th><th>state</th><th>owner</th>"
        f"<th>on call</th></tr>{''.join(rows)}</table>"
    )


def _incidents(session: Session) -> str:
    rows = session.scalars(
        select(Incident).where(Incident.resolved_at.is_(None)).order_by(Incident.id)
    ).all()
    if not rows:
        return "<p>No open incidents.</p>"
    parts = []
    for row in rows:
        events = session.scalars(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == row.id)
            .order_by(IncidentEvent.at, IncidentEvent.id)
        ).all()
        timeline = "".join(
            f"<li>{ev.at.strftime('%Y-%m-%d %H:%M')} UTC {e(ev.kind)}"
            f"{': ' + e(ev.detail[:300]) if ev.detail else ''}</li>"
            for ev in events
        )
        parts.append(
            f'<section class=incident data-incident="{row.id}"><h3>#{row.id} {e(row.asset)} '
            f"({e(row.severity.upper())}, {e(row.status)})</h3><p>{e(row.summary[:300])}</p>"
            f"<ol>{timeline}</ol></section>"
        )
    return "".join(parts)


def _scorecards(session: Session, registry: Registry, now: datetime) -> str:
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    last = Window(monday - timedelta(days=7), monday)
    weeks = chart_weeks(last, 6)
    series: dict[str, list[float | None]] = {c: [] for c in registry.contracts}
    for week in weeks:
        for c in read_report(session, registry, week, now).contracts:
            series[c.contract_id].append(c.periods.on_time_pct)
    chart = _svg(on_time_chart([w.since for w in weeks], series, "On time per week", "svg"))
    report = read_report(session, registry, Window(weeks[0].since, today + timedelta(days=1)), now)
    return f"<div class=chart>{chart}</div>{html_tables(report)}"


def render_status_page(engine: Engine, registry: Registry, now: datetime) -> str:
    with Session(engine) as session:
        states = {
            row.contract_id: row.state for row in session.scalars(select(ContractStatus))
        }
        scorecards = _scorecards(session, registry, now)
        incidents = _incidents(session)
    colour_of = asset_states(registry, states)
    legend = "".join(
        f'<span class=state style="background:{c}">{k.replace("_", " ")}</span> '
        for k, c in COLOURS.items() if k != "recovered"
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'><title>demarc status</title>"
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}"
        ".state{color:#fff;border-radius:4px;padding:1px 6px}.chart svg{max-width:100%;"
        "height:auto}</style></head><body>"
        f"<h1>demarc status</h1><p>As of {now.strftime('%Y-%m-%d %H:%M')} UTC. {legend}</p>"
        f"<h2>Contracts</h2>{_contracts_table(registry, states, now)}"
        f"<h2>Lineage</h2>{lineage_svg(registry, colour_of)}"
        f"<h2>Scorecards (last six weeks)</h2>{scorecards}"
        f"<h2>Open incidents</h2>{incidents}</body></html>"
    )
