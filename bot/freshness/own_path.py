"""Which checks must take the per-contract path although nothing about their own alert
changes: the batched quiet path (`bot.freshness.quiet`) posts no heads-up, so a check that
may post one goes one by one."""

from __future__ import annotations

from collections.abc import Iterable

from bot.freshness.quiet import Checked
from ownership.foresight import needs_heads_up_path


def needs_own_path(checked: Iterable[Checked]) -> set[str]:
    """Ids of the checks the batched paths must leave alone: those that may post a heads-up.
    A still-late check's downstream warnings and missed ETA are followed up for the whole
    sweep at once (`bot.freshness.predict_batch`)."""
    return {
        item.contract.id
        for item in checked
        if needs_heads_up_path(item.contract.sla, item.evaluation, item.now)
    }
