"""Scheduled schema drift checks: the live table's columns (SQLAlchemy inspection through the
contract's SQL probe connection) against the contract's schema (`ownership.drift`).

Drift opens one alert in the owner's on-call channel, tagging the on-call person, and posts an
FYI in each consumer team's on-call channel; the same drift is not alerted again, a different
one edits the alert, and a table that matches again resolves it. The alert row is unique per
contract while open (`schema_drift_alerts.open_key`), so replicas cannot open it twice.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks import Block, context, section
from bot.blocks.escape import bold, code, escape, user_mention, usergroup_mention
from bot.db.models import SchemaDriftAlert
from bot.freshness.roots import alert_channel
from bot.outbox import enqueue
from ownership.drift import Drift, LiveColumn, compare_schema, signature
from ownership.model import Contract, Registry, SqlProbe
from ownership.oncall import on_call

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveTable:
    columns: tuple[LiveColumn, ...] = ()
    missing: bool = False
    error: str | None = None


@dataclass(frozen=True)
class DriftReport:
    contract_id: str
    drifts: tuple[Drift, ...]
    action: str | None = None
    error: str | None = None


class TableInspector:
    """Reads a table's columns through the URL in the probe's environment variable."""

    def __init__(self, environ: Mapping[str, str], *, connect_timeout: float = 10.0) -> None:
        self.environ = environ
        self.connect_timeout = connect_timeout
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def columns(self, probe: SqlProbe) -> LiveTable:
        raw = (self.environ.get(probe.connection) or "").strip()
        if not raw:
            return LiveTable(error=f"environment variable {probe.connection} is not set")
        try:
            url = make_url(raw)
        except (ArgumentError, ValueError):
            return LiveTable(error=f"environment variable {probe.connection} is not a valid URL")
        try:
            with self._engine(url).connect() as conn:
                inspector = inspect(conn)
                if not inspector.has_table(probe.table, schema=probe.schema):
                    return LiveTable(missing=True)
                found = inspector.get_columns(probe.table, schema=probe.schema)
                return LiveTable(
                    tuple(LiveColumn(c["name"], _type_name(c["type"], conn.dialect)) for c in found)
                )
        except Exception as exc:  # an unreachable warehouse is the freshness check's news
            shown = url.render_as_string(hide_password=True)
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if url.password:
                message = message.replace(str(url.password), "***")
            return LiveTable(error=f"cannot inspect {shown}: {message}"[:300])

    def _engine(self, url: URL) -> Engine:
        key = url.render_as_string(hide_password=False)
        with self._lock:
            if key not in self._engines:
                args: dict[str, Any] = {}
                if url.get_backend_name() == "postgresql":
                    if url.drivername == "postgresql":
                        url = url.set(drivername="postgresql+psycopg")
                    args["connect_timeout"] = max(1, math.ceil(self.connect_timeout))
                self._engines[key] = create_engine(url, connect_args=args, pool_pre_ping=True)
            return self._engines[key]

    def close(self) -> None:
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.dispose()


def _type_name(kind: Any, dialect: Any) -> str:
    try:
        return str(kind.compile(dialect=dialect))
    except Exception:
        return type(kind).__name__


def checkable(contract: Contract) -> bool:
    return isinstance(contract.probe, SqlProbe) and any("." not in c.name for c in contract.schema)


class DriftService:
    def __init__(
        self,
        engine: Engine,
        registry: Callable[[], Registry],
        inspector: TableInspector,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.registry = registry
        self.inspector = inspector
        self.clock = clock

    def check(self, contract_ids: Iterable[str] | None = None) -> list[DriftReport]:
        registry = self.registry()
        wanted = set(contract_ids) if contract_ids is not None else None
        reports = []
        for contract in sorted(registry.contracts.values(), key=lambda c: c.id):
            if (wanted is not None and contract.id not in wanted) or not checkable(contract):
                continue
            probe = contract.probe
            assert isinstance(probe, SqlProbe)
            live = self.inspector.columns(probe)
            if live.error is not None:
                log.warning("schema drift check of %s failed: %s", contract.id, live.error)
                reports.append(DriftReport(contract.id, (), None, live.error))
                continue
            drifts = tuple(compare_schema(contract.schema, live.columns))
            try:
                action = self._apply(registry, contract, probe, drifts, live.missing)
            except IntegrityError:
                action = "opened by another replica"
            reports.append(DriftReport(contract.id, drifts, action))
        return reports

    def _apply(
        self,
        registry: Registry,
        contract: Contract,
        probe: SqlProbe,
        drifts: tuple[Drift, ...],
        missing: bool,
    ) -> str | None:
        now = self.clock()
        table = f"{probe.schema}.{probe.table}" if probe.schema else probe.table
        lines = [f"table {table} does not exist"] if missing else [d.words() for d in drifts]
        with self.sessions.begin() as session:
            alert = session.scalars(
                select(SchemaDriftAlert).where(SchemaDriftAlert.open_key == contract.id)
            ).first()
            if not drifts:
                if alert is None:
                    return None
                alert.status, alert.open_key = "resolved", None
                alert.resolved_at = alert.checked_at = now
                _post(session, alert, now, registry, contract, resolved=True)
                return "resolved"
            sig = ("missing-table; " if missing else "") + signature(drifts)
            if alert is not None:
                alert.checked_at = now
                if alert.signature == sig:
                    return None
                alert.signature, alert.detail = sig, "\n".join(lines)
                _post(session, alert, now, registry, contract, changed=True)
                return "drift changed"
            channel = alert_channel(registry, contract)
            if not channel:
                return "drift, but the owner team has no on-call channel"
            alert = SchemaDriftAlert(
                contract_id=contract.id,
                open_key=contract.id,
                status="open",
                signature=sig,
                detail="\n".join(lines),
                table_name=table,
                channel=channel,
                consumer_channels=",".join(_consumer_channels(registry, contract, channel)),
                opened_at=now,
                checked_at=now,
            )
            session.add(alert)
            session.flush()  # the unique open_key: only one replica gets past this line
            _post(session, alert, now, registry, contract)
            return "alert opened"


def _consumer_channels(registry: Registry, contract: Contract, owner_channel: str) -> list[str]:
    out: list[str] = []
    for team_id in contract.consumer_teams:
        team = registry.teams.get(team_id)
        ch = team.oncall_channel if team else None
        if ch and ch != owner_channel and ch not in out:
            out.append(ch)
    return out


def _post(
    session: Session,
    alert: SchemaDriftAlert,
    now: datetime,
    registry: Registry,
    contract: Contract,
    *,
    resolved: bool = False,
    changed: bool = False,
) -> None:
    key = f"drift:{alert.id}"
    consumers = [c for c in alert.consumer_channels.split(",") if c]
    consumer_threads = [(channel, f"{key}:{i}") for i, channel in enumerate(consumers)]
    edit = resolved or changed
    text, blocks = render_drift(registry, contract, alert, now)
    enqueue(  # the root: posted once, then edited in place
        session,
        method="chat.update" if edit else "chat.postMessage",
        channel=alert.channel,
        now=now,
        payload={"text": text, "blocks": blocks},
        root_key=key,
        is_root=not edit,
    )
    if edit:
        note = (
            ":large_green_circle: The table matches the contract again. Resolved."
            if resolved
            else "The drift changed:\n"
            + "\n".join(f"• {escape(x)}" for x in alert.detail.split("\n"))
        )
        _say(session, now, note, [(alert.channel, key), *consumer_threads], root=False)
        return
    owner = registry.teams.get(contract.owner_team)
    owner_name = bold(owner.name if owner else contract.owner_team)
    fyi = (
        f":triangular_ruler: FYI: {code(contract.id)}, which you consume, no longer matches its "
        f"contract:\n{_bullets(alert)}\nIts owner {owner_name} is alerted in "
        f"{escape(alert.channel)}; this thread says when it is fixed."
    )
    _say(session, now, fyi, consumer_threads, root=True)


def _say(
    session: Session, now: datetime, text: str, threads: list[tuple[str, str]], *, root: bool
) -> None:
    """Post `text` to each (channel, root key): as that root, or in its thread."""
    for channel, key in threads:
        enqueue(
            session,
            method="chat.postMessage",
            channel=channel,
            now=now,
            payload={"text": text},
            root_key=key,
            is_root=root,
            in_thread=not root,
        )


def _bullets(alert: SchemaDriftAlert) -> str:
    return "\n".join(f"• {escape(line)}" for line in alert.detail.split("\n") if line)


def render_drift(
    registry: Registry, contract: Contract, alert: SchemaDriftAlert, now: datetime
) -> tuple[str, list[Block]]:
    owner = registry.teams.get(contract.owner_team)
    if alert.status == "resolved":
        text = f"Schema drift on {contract.id} resolved"
        return text, [
            section(
                f":large_green_circle: Schema drift on {code(contract.id)} (table "
                f"{code(alert.table_name)}) *resolved*: the table matches the contract again."
            )
        ]
    person = on_call(owner, now) if owner else None
    tag = user_mention(person.slack_id) if person else None
    if tag is None and owner is not None and owner.usergroup is not None:
        tag = usergroup_mention(owner.usergroup.id)
    name = bold(owner.name if owner else contract.owner_team)
    consumers = [registry.teams[t].name for t in contract.consumer_teams if t in registry.teams]
    lines = [
        f":triangular_ruler: *Schema drift on {code(contract.id)}* "
        f"(table {code(alert.table_name)}):",
        _bullets(alert),
        f"Responsible: {name}{' on call: ' + tag if tag else ''}",
    ]
    if consumers:
        lines.append("Informed: " + ", ".join(escape(t) for t in consumers))
    text = f"Schema drift on {contract.id}: {alert.detail.splitlines()[0]}"
    return text, [
        section("\n".join(lines)),
        context(
            "Found by comparing the live table with the contract's schema. Fix the table, or "
            "change the contract (removing or changing a column needs a change notice)."
        ),
    ]
