"""A change notice has its own id, names a contract, gives at least its notice period, and
reaches a channel. The last two need the contract, so they say nothing when it is unknown."""

from __future__ import annotations

from ownership.errors import Problem, Severity
from ownership.model import ChangeNotice, Contract
from ownership.rules.context import Problems, RuleContext


def notice_id_is_unique(ctx: RuleContext, notice: ChangeNotice) -> Problems:
    """No two change notices share an id (the first one keeps it)."""
    first = ctx.first_notices[notice.id]
    if first is not notice:
        yield Problem(
            notice.source,
            f"duplicate change notice '{notice.id}' (first defined at {first.source}); "
            "give each an id:",
            code="duplicate-id",
        )


def notice_contract_exists(ctx: RuleContext, notice: ChangeNotice) -> Problems:
    """A change notice names a contract."""
    contracts = ctx.registry.contracts
    if notice.contract not in contracts:
        yield Problem(
            notice.source,
            f"change notice '{notice.id}': '{notice.contract}' is not a contract"
            f"{ctx.hint(notice.contract, 'contracts', contracts)} (remove a notice in "
            "the change that removes its contract)",
            code="unknown-contract",
            refs=(notice.contract,),
        )


def _contract(ctx: RuleContext, notice: ChangeNotice) -> Contract | None:
    return ctx.registry.contracts.get(notice.contract)


def notice_period_is_kept(ctx: RuleContext, notice: ChangeNotice) -> Problems:
    """A notice's effective date is at least the contract's notice_days after it is announced."""
    contract = _contract(ctx, notice)
    if contract is None or notice.effective is None:
        return
    days = contract.change_policy.notice_days or 0
    given = (notice.effective - notice.announced).days
    if given < days:
        yield Problem(
            notice.source,
            f"change notice '{notice.id}': effective {notice.effective} is only "
            f"{given} day(s) after announced "
            f"{notice.announced}; contract '{contract.id}' promises {days} days' notice",
            code="notice-too-short",
        )


def notice_has_channel(ctx: RuleContext, notice: ChangeNotice) -> Problems:
    """The contract a notice is about has a change channel, so somebody is told."""
    contract = _contract(ctx, notice)
    if contract is not None and not contract.change_policy.channel:
        yield Problem(
            notice.source,
            f"change notice '{notice.id}': contract '{contract.id}' has no change channel, "
            "so nobody is told (set change_policy.channel)",
            Severity.WARNING,
            "no-change-channel",
        )
