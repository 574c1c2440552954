"""Data requests in a report: how long from request to accepted contract (docs/reports.md).

The clock starts when the request is made and stops when the Accountable team (or the
requester, on a counter-proposal) accepts; a declined request stops no clock and is counted
apart; one still open or countered is a running clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ownership.reports.clocks import Clock, clock
from ownership.reports.inputs import RequestSpan

DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class RequestFigures:
    team: str  # the consumer team that asked
    made: int
    accepted: int
    declined: int
    to_accepted: Clock  # request → accepted contract; running while open or countered


def request_figures(
    spans: Iterable[RequestSpan], team: str | None = None
) -> tuple[RequestFigures, ...]:
    """Per consumer team, the requests made in the window (`team`: only those it made or was
    asked, as consumer or Accountable)."""
    by_team: dict[str, list[RequestSpan]] = {}
    for span in spans:
        if team is None or team in (span.consumer_team, span.accountable_team):
            by_team.setdefault(span.consumer_team, []).append(span)
    return tuple(
        RequestFigures(
            name,
            made=len(rows),
            accepted=sum(1 for r in rows if r.accepted_at is not None),
            declined=sum(1 for r in rows if r.state == DECLINED and r.accepted_at is None),
            to_accepted=clock(
                (r.opened_at, r.accepted_at)
                for r in rows
                if not (r.state == DECLINED and r.accepted_at is None)
            ),
        )
        for name, rows in sorted(by_team.items())
    )
