"""One freshness sweep: probe in parallel, then record the checks, upstream first.

Checks that change nothing but the contract's status (on time, no alert open) are recorded a
chunk per transaction (`bot.freshness.quiet`); every other one in a transaction of its own that
records the check, moves the contract's state and writes the Slack messages the change causes
into the outbox (`bot.freshness.transition`), so a crash or a Slack outage can lose none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from bot.db.claims import claim_checks
from bot.db.models import ContractStatus
from bot.freshness import alerts as A
from bot.freshness import cascade as C
from bot.freshness import planned as D
from bot.freshness import predict_batch as B
from bot.freshness import quiet as Q
from bot.freshness.judge import Timing, judge
from bot.freshness.own_path import needs_own_path
from bot.freshness.transition import CheckReport, ProbeMany, Transitions
from bot.freshness.upstream import upstream_landing
from bot.probes import ProbeResult
from bot.probes.runner import one_line
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.sla import Evaluation, FreshnessState, evaluate_failed

log = logging.getLogger(__name__)


def lineage_order(registry: Registry, contracts: Iterable[Contract]) -> list[Contract]:
    """Upstream contracts first, so a downstream breach finds the upstream alert to join."""

    def depth(c: Contract) -> int:
        up = walk(registry, c.asset, "up", max_depth=len(registry.assets))  # any depth
        return max((d for _, d in up), default=0)

    return sorted(contracts, key=lambda c: (depth(c), c.id))


def _one_line(exc: Exception) -> str:
    return one_line(str(exc)) or type(exc).__name__


class ClaimLost(RuntimeError):
    """Our claim on a check expired and another replica took it over."""


class FreshnessService(Transitions):
    def __init__(
        self,
        engine: Engine,
        registry: Callable[[], Registry],
        probe_many: ProbeMany,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timing: Timing | None = None,
        on_recovered: A.RecoveryHook | None = None,
        on_breached: A.BreachHook | None = None,
    ) -> None:
        self.engine = engine
        self.on_recovered = on_recovered
        self.on_breached = on_breached
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.registry = registry
        self.probe_many = probe_many
        self.clock = clock
        self.timing = timing or Timing()
        self._traced: set[str] = set()  # contracts whose failing transition was logged in full

    def check(self, contract_ids: Iterable[str] | None = None) -> list[CheckReport]:
        registry = self.registry()
        wanted = set(contract_ids) if contract_ids is not None else None
        # A contract without a probe is not checked at all (validation warns about it; a dbt
        # source may be fed by `demarc ingest-dbt-results` instead): never a "check failed".
        contracts = [
            c
            for c in registry.contracts.values()
            if (wanted is None or c.id in wanted) and c.probe is not None
        ]
        return self._sweep(registry, contracts)

    def check_claimed_many(
        self,
        contract_ids: Iterable[str],
        holder: str,
        lease: timedelta = timedelta(minutes=2),
    ) -> list[CheckReport]:
        """Claim the due checks of `contract_ids` in one transaction (`bot.db.claims`), run
        them as one sweep and record them fenced: a check whose claim another replica took
        over meanwhile is dropped unwritten. Reports only the checks this replica ran."""
        registry = self.registry()
        ids = [
            cid
            for cid in dict.fromkeys(contract_ids)
            if (c := registry.contracts.get(cid)) is not None and c.probe is not None
        ]
        claims = claim_checks(self.engine, ids, holder, self.clock(), lease) if ids else {}
        if not claims:
            return []
        return self._sweep(registry, [registry.contracts[cid] for cid in claims], claims)

    def _sweep(
        self,
        registry: Registry,
        contracts: list[Contract],
        claims: Mapping[str, str] | None = None,
    ) -> list[CheckReport]:
        """Probe in parallel, record the checks that change nothing anyone sees a chunk at a
        time, the rest one transaction each, upstream first."""
        jobs = [(c.id, c.probe) for c in contracts if c.probe is not None]
        results = self.probe_many(jobs) if jobs else {}
        ordered = lineage_order(registry, contracts)
        checked = []
        for contract in ordered:
            result = results.get(contract.id) or ProbeResult(error="probe lost")
            now = self.clock()
            verdict = self._judge(contract, result, now, results)
            checked.append(Q.Checked(contract, result, verdict, now))
        quiet, lost = self._record_quiet(registry, checked, claims)
        reports = []
        for item in checked:  # the rest one transaction each, upstream first
            done = quiet.get(item.contract.id)
            if done is not None:
                reports.append(
                    CheckReport(
                        done.contract,
                        done.evaluation,
                        done.next_check_at,
                        done.action,
                        done.silenced,
                    )
                )
                continue
            if item.contract.id in lost:
                continue
            contract, result = item.contract, item.result
            token = claims.get(contract.id) if claims is not None else None
            try:
                reports.append(
                    self.apply(registry, contract, result, token, announce=False, judged=item)
                )
            except ClaimLost:
                log.info("the claim on %s was taken over; its result is dropped", contract.id)
            except Exception as exc:  # e.g. the database went away: the others still run
                log.exception("the check of %s could not be recorded", contract.id)
                now = self.clock()
                failed = evaluate_failed(f"the check could not be recorded: {_one_line(exc)}")
                reports.append(CheckReport(contract, failed, now + self.timing.retry_failed))
        if registry.silences and any(r.silenced for r in reports):  # planned delays
            with self.sessions.begin() as session:  # tell the downstream owners
                D.notify(session, registry, D.active(registry, self.clock()), self.clock())
        if any(r.action and r.action.startswith("attached to") for r in reports):
            with self.sessions.begin() as session:  # one "also affected" per root and sweep
                C.announce_all(session, registry, self.clock())
        return reports

    def _record_quiet(
        self,
        registry: Registry,
        checked: list[Q.Checked],
        claims: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Q.Quiet], set[str]]:
        """The checks that change nothing anyone sees, a chunk per transaction
        (`bot.freshness.quiet`); a chunk that fails is left to the per-contract path. Then
        the still-late ones' downstream warnings and missed ETAs (`predict_batch`). Also
        the claimed checks found taken over (dropped)."""
        quiet: dict[str, Q.Quiet] = {}
        lost: set[str] = set()
        states = {c.contract.id: c.evaluation.state for c in checked}
        own = needs_own_path(checked)
        candidates = [c for c in checked if c.contract.id not in own]
        for start in range(0, len(candidates), Q.CHUNK):
            chunk = candidates[start : start + Q.CHUNK]
            try:
                with self.sessions.begin() as session:
                    done = Q.record_quiet(
                        session, registry, chunk, self.timing, claims=claims, states=states
                    )
            except Exception as exc:
                log.warning(
                    "recording %d checks at once failed, one by one now: %s",
                    len(chunk),
                    _one_line(exc),
                )
                continue
            quiet.update((d.contract.id, d) for d in done.done)
            lost |= done.lost
        B.follow_up_all(self.sessions, registry, B.still_late(checked, quiet), self.probe_many)
        return quiet, lost

    def _judge(
        self,
        contract: Contract,
        result: ProbeResult,
        now: datetime,
        results: dict[str, ProbeResult] | None = None,
    ) -> Evaluation:
        """The verdict; a check whose judging raises is "check failed" instead. An
        event-relative SLA reads its upstream's landing from this sweep's `results`, else from
        the upstream's last recorded check."""
        try:
            upstream = (
                upstream_landing(self.sessions, contract, results)
                if contract.after is not None
                else None
            )
            return judge(contract, result, now, upstream)
        except Exception as exc:
            log.warning("cannot judge %s: %s", contract.id, exc)
            return evaluate_failed(f"cannot evaluate the SLA: {_one_line(exc)}")

    def apply(
        self,
        registry: Registry,
        contract: Contract,
        result: ProbeResult,
        claim_token: str | None = None,
        *,
        announce: bool = True,
        judged: Q.Checked | None = None,
    ) -> CheckReport:
        """`announce=False` leaves "also affected" to the caller (`check` does it once);
        `judged`: the verdict and time the sweep already computed for this result.

        A check that raises (judging the SLA, or recording the transition) is recorded as
        "check failed" instead, so the owner is told through the failed-check path and the
        contract is retried at the failure interval, never a traceback loop.
        """
        if judged is not None:
            now, evaluation = judged.now, judged.evaluation
        else:
            now = self.clock()
            evaluation = self._judge(contract, result, now)
        try:
            return self._record(registry, contract, evaluation, result, now, claim_token, announce)
        except ClaimLost:
            raise
        except Exception as exc:
            if evaluation.state is FreshnessState.CHECK_FAILED:
                raise
            if contract.id in self._traced:  # one traceback per contract, not one per check
                log.warning("recording the check of %s failed again: %s", contract.id, exc)
            else:
                self._traced.add(contract.id)
                log.exception("recording the check of %s failed", contract.id)
            failed = evaluate_failed(f"internal error while recording the check: {_one_line(exc)}")
            return self._record(registry, contract, failed, result, now, claim_token, announce)

    def _record(
        self,
        registry: Registry,
        contract: Contract,
        evaluation: Evaluation,
        result: ProbeResult,
        now: datetime,
        claim_token: str | None,
        announce: bool,
    ) -> CheckReport:
        with self.sessions.begin() as session:
            if claim_token is not None:
                status = session.get(ContractStatus, contract.id, with_for_update=True)
                if status is None or status.claim_token != claim_token:
                    raise ClaimLost(contract.id)  # another replica took over: drop our result
                status.claimed_by = status.claim_until = status.claim_token = None
            return self._transition(session, registry, contract, evaluation, result, now, announce)

    def check_claimed(
        self, contract_id: str, holder: str, lease: timedelta = timedelta(minutes=2)
    ) -> CheckReport | None:
        """Run one due check if this replica wins its claim; None when not due or taken."""
        reports = self.check_claimed_many([contract_id], holder, lease)
        return reports[0] if reports else None
