"""Who is on call for a team now and next: from the registry's rotation (with overrides from
the registry and from Slack), or from a schedule kept elsewhere (`bot.oncall.sources`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ownership.model import Team
from ownership.shifts import Shift, now_and_next


@dataclass(frozen=True)
class OnCallView:
    """What `/oncall` shows for one team; `unknown_since` when its schedule cannot be read."""

    team: Team
    current: Shift | None
    upcoming: Shift | None
    source: str = "registry"  # "registry", "iCalendar", "PagerDuty", "Opsgenie"
    unknown_since: datetime | None = None
    note: str | None = None  # why it is unknown, in words


# A reader of schedules kept elsewhere: None when `team` has none (the registry decides).
External = Callable[[Team, datetime], OnCallView | None]


def on_call_view(team: Team, now: datetime, external: External | None = None) -> OnCallView:
    if external is not None and (view := external(team, now)) is not None:
        return view
    current, upcoming = now_and_next(team, now)
    return OnCallView(team, current, upcoming)
