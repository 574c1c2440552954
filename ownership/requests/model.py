"""A data request as typed values, and the states it moves through."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class RequestState(enum.Enum):
    OPEN = "open"
    COUNTERED = "countered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MERGED = "merged"

    @property
    def is_open(self) -> bool:
        """Still waiting for someone to answer."""
        return self in (RequestState.OPEN, RequestState.COUNTERED)


FREQUENCIES = ("hourly", "daily", "weekly")


@dataclass(frozen=True, slots=True)
class Freshness:
    """The freshness asked for: "daily by 02:00 UTC, at most 30 minutes late"."""

    frequency: str
    at: str  # "HH:MM"
    timezone: str
    max_delay: str  # "30 minutes", as contracts write it


@dataclass(frozen=True, slots=True)
class ColumnNeed:
    name: str
    type: str = "string"
    required: bool = True


@dataclass(frozen=True, slots=True)
class DataRequestForm:
    """What the requester filled in; validated by `ownership.requests.form.check_form`."""

    what: str
    source: str  # an asset id of the registry
    freshness: Freshness
    columns: tuple[ColumnNeed, ...]
    purpose: str
    consumer_team: str
    by_when: date | None = None


def form_to_dict(form: DataRequestForm) -> dict[str, object]:
    f = form.freshness
    return {
        "what": form.what,
        "source": form.source,
        "freshness": {
            "frequency": f.frequency,
            "at": f.at,
            "timezone": f.timezone,
            "max_delay": f.max_delay,
        },
        "columns": [{"name": c.name, "type": c.type, "required": c.required} for c in form.columns],
        "purpose": form.purpose,
        "consumer_team": form.consumer_team,
        "by_when": form.by_when.isoformat() if form.by_when else None,
    }


def form_from_dict(data: dict[str, object]) -> DataRequestForm:
    """The inverse of `form_to_dict` (data demarc wrote itself)."""
    fresh = data["freshness"]
    columns = data.get("columns") or []
    by_when = data.get("by_when")
    assert isinstance(fresh, dict)
    assert isinstance(columns, list)
    return DataRequestForm(
        what=str(data["what"]),
        source=str(data["source"]),
        freshness=Freshness(
            str(fresh["frequency"]),
            str(fresh["at"]),
            str(fresh["timezone"]),
            str(fresh["max_delay"]),
        ),
        columns=tuple(
            ColumnNeed(str(c["name"]), str(c["type"]), bool(c["required"])) for c in columns
        ),
        purpose=str(data["purpose"]),
        consumer_team=str(data["consumer_team"]),
        by_when=date.fromisoformat(by_when) if isinstance(by_when, str) else None,
    )
