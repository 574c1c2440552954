"""The change policy as a gate: a breaking change needs a notice whose period has passed.

How a notice is proven: a `change_notices:` entry in the registry names the contract, the day
it was `announced` (and posted to the contract's change channel) and the `change`; it takes
effect on `effective`, by default `announced` + the contract's `notice_days`. A breaking change
passes the gate when its contract promises no notice, or when a notice covering it (its `scope`
names the column or aspect, or it has no scope) takes effect on or before `today`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ownership.diff import Change
from ownership.model import ChangeNotice, Contract, Registry


@dataclass(frozen=True, slots=True)
class Verdict:
    change: Change
    blocking: bool
    why: str
    notice: ChangeNotice | None = None
    effective: date | None = None


def effective_date(notice: ChangeNotice, contract: Contract | None) -> date:
    """The day the change may land: never earlier than the contract's notice period allows."""
    days = (contract.change_policy.notice_days or 0) if contract else 0
    earliest = notice.announced + timedelta(days=days)
    return max(notice.effective or earliest, earliest)


def covers(notice: ChangeNotice, change: Change) -> bool:
    return notice.contract == change.contract and (
        not notice.scope or change.subject in notice.scope or change.kind in notice.scope
    )


def gate(changes: Iterable[Change], old: Registry, new: Registry, today: date) -> list[Verdict]:
    """A verdict for every breaking change; non-breaking changes never block."""
    notices = {n.id: n for n in (*old.change_notices, *new.change_notices)}.values()
    out = []
    for change in changes:
        if not change.breaking:
            continue
        contract = old.contracts.get(change.contract) or new.contracts.get(change.contract)
        days = (contract.change_policy.notice_days or 0) if contract else 0
        if days == 0:
            out.append(Verdict(change, False, "the contract promises no notice period"))
            continue
        candidates = sorted(
            ((effective_date(n, contract), n) for n in notices if covers(n, change)),
            key=lambda pair: pair[0],
        )
        if not candidates:
            out.append(
                Verdict(
                    change,
                    True,
                    f"no change notice covers it; the contract promises {days} days' notice: "
                    f"announce it in change_notices (effective {today + timedelta(days=days)} "
                    "at the earliest if announced today)",
                )
            )
            continue
        effective, notice = candidates[0]
        if effective <= today:
            out.append(
                Verdict(
                    change,
                    False,
                    f"announced {notice.announced}, effective {effective}",
                    notice,
                    effective,
                )
            )
        else:
            left = (effective - today).days
            out.append(
                Verdict(
                    change,
                    True,
                    f"announced {notice.announced}, effective {effective}: "
                    f"{left} day(s) of notice left",
                    notice,
                    effective,
                )
            )
    return out
