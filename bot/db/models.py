"""Tables. Alembic revisions in `migrations/versions` must match these (a test checks)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """`timestamp with time zone` that always reads back aware UTC: SQLite stores no offset
    and hands back naive values, so without this every reader would have to patch them."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ProcessedEvent(Base):
    """Slack event ids already handled: Slack retries deliveries, Bolt does not dedupe them."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ContractStatus(Base):
    """The latest known state of each contract, and when it is due to be checked next."""

    __tablename__ = "contract_status"

    contract_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    period_key: Mapped[str | None] = mapped_column(String(64))
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claim_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(40))


class CheckResult(Base):
    """Every check ever run: the history behind `demarc status` and the metrics."""

    __tablename__ = "check_results"
    # "is there a newer check of this contract?" in one index probe (pruning keeps the latest)
    __table_args__ = (Index("ix_check_results_contract_id_id", "contract_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(20))
    period_key: Mapped[str | None] = mapped_column(String(64))
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime())
    late_by_seconds: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class Alert(Base):
    """One late-data alert per contract and period: its root message, its life, its links."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("contract_id", "period_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    period_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), default="late")  # late | check_failed
    status: Mapped[str] = mapped_column(String(20))  # open | recovered | silenced
    channel: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # reports
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recovered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    late_by_seconds: Mapped[int | None] = mapped_column(Integer)
    affected: Mapped[str] = mapped_column(Text, default="")  # downstream contract ids, comma-sep
    caused_by_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    incident_id: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # of the numbers shown
    root_digest: Mapped[str | None] = mapped_column(String(64))  # the root as last enqueued
    note_outbox_id: Mapped[int | None] = mapped_column(Integer)  # "also affected" reply queued
    note_names: Mapped[str | None] = mapped_column(Text)  # the contracts that reply names


class OutboxMessage(Base):
    """A Slack call to make, written in the same transaction as the change that causes it.

    A message with `root_key` and `is_root` starts a thread (an alert, an incident); messages
    with the same `root_key` and `in_thread` reply in it, and `chat.update` ones edit it. They
    wait until the root has been delivered and its ts is known (table `slack_roots`).
    """

    __tablename__ = "outbox"
    # each channel's queue in delivery order (`bot.outbox.store`; migration 0014)
    __table_args__ = (Index("ix_outbox_queue", "channel", "status", "priority", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # pruning's order
    method: Mapped[str] = mapped_column(String(40))  # chat.postMessage | chat.update
    channel: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON: text, blocks
    root_key: Mapped[str | None] = mapped_column(String(80), index=True)
    is_root: Mapped[bool] = mapped_column(Boolean, default=False)
    in_thread: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ts: Mapped[str | None] = mapped_column(String(40))
    # Lower goes first within a channel: new roots, recoveries and replies before routine edits.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # Failed attempts that count toward the dead-letter cap (rate limits do not).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # The claim of a row being sent: which replica, since when (database clock), which claim.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(40))


class SlackRoot(Base):
    """Where a thread's root message landed, once delivered: `alert:12` -> channel id, ts."""

    __tablename__ = "slack_roots"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    ts: Mapped[str] = mapped_column(String(40))


class SilenceRow(Base):
    """A snooze set from Slack (registry silences live in YAML)."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset: Mapped[str] = mapped_column(String(200), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(40))


class Lease(Base):
    """A named lease ("outbox", "timers") one replica holds at a time; `token` fences it."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    token: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Replica(Base):
    """Running `demarc serve` processes and their heartbeats."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Incident(Base):
    """An incident on one asset: its state, its timers, and the RACI plan it was opened with.

    `plan` is the fan-out as JSON (`ownership.incident_plan.IncidentPlan`): who was tagged and
    why, kept as it was at opening even if the registry or the on-call rotation moves on.
    `next_escalation_at` / `next_reminder_at` are the timers the due-timers job fires.
    """

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset: Mapped[str] = mapped_column(String(200), index=True)
    summary: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))  # sev1 | sev2 | sev3
    opened_severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)  # open|acknowledged|escalated|…
    channel: Mapped[str] = mapped_column(String(100))  # the incident channel, as configured
    plan: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # reports
    opened_by: Mapped[str | None] = mapped_column(String(40))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(40))
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_by: Mapped[str | None] = mapped_column(String(40))  # None: by the timer
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolution_reason: Mapped[str | None] = mapped_column(String(20))  # ownership.reports
    boundary_side: Mapped[str | None] = mapped_column(String(20))
    next_escalation_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    next_reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))  # opened from it


class OpenIncident(Base):
    """One row per asset with an unresolved incident: the database refuses a second one."""

    __tablename__ = "open_incidents"

    asset: Mapped[str] = mapped_column(String(200), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)


class IncidentEvent(Base):
    """The incident's timeline: what happened, who did it (None: demarc itself), when."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")  # plain text, escaped when shown


class IncidentAlert(Base):
    """Late-data alerts linked to an incident (an alert's own `incident_id` is the first)."""

    __tablename__ = "incident_alerts"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChangeNoticePost(Base):
    """A change notice's announcement or reminder: each is posted at most once, by any replica.

    `kind` is announce, remind-7 or remind-1; a reminder that became due while an earlier
    message was still to be sent is recorded with `posted` false instead of being sent late.
    """

    __tablename__ = "change_notice_posts"
    __table_args__ = (UniqueConstraint("notice_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(100))
    effective: Mapped[date] = mapped_column(Date)
    posted: Mapped[bool] = mapped_column(Boolean, default=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SchemaDriftAlert(Base):
    """A live table that no longer matches its contract's schema, from detection to fix.

    `open_key` is the contract id while the alert is open and NULL once resolved: the unique
    constraint lets every replica race to open it and only one win.
    """

    __tablename__ = "schema_drift_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # open | resolved
    signature: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)  # the drifts in words, one per line
    table_name: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(100))
    consumer_channels: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Subscription(Base):
    """A person who asked to hear, by DM, when an asset's contract breaches or recovers, when
    it has an incident, and when a breaking change to it is announced."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "asset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    asset: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookDelivery(Base):
    """One signed POST to an outgoing webhook, written with the change that causes it.

    `endpoint` names the configured webhook (its URL and secret stay in the settings, never
    here); delivery is retried with backoff until `sent` or, after the maximum attempts, `dead`.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, exactly as signed and sent
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending|sending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CheckRollup(Base):
    """One contract's checks of one UTC day, kept after the checks themselves are pruned
    (`bot.ops.rollup`; the columns are described in docs/retention.md)."""

    __tablename__ = "check_rollups"

    contract_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    expected_periods: Mapped[int] = mapped_column(Integer, default=0)
    on_time_periods: Mapped[int] = mapped_column(Integer, default=0)
    late_periods: Mapped[int] = mapped_column(Integer, default=0)
    downtime_minutes: Mapped[int] = mapped_column(Integer, default=0)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class MetricTotal(Base):
    """Counts folded out of history rows so /metrics need not scan them (`bot.ops.totals`):
    a counter's value up to a mark (`name` "mark" holds the marks themselves)."""

    __tablename__ = "metric_totals"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class QualityAlert(Base):
    """One data quality breach per contract, period and check: its root message, its life.

    `caused_by_id` folds a downstream breach into the open alert of an upstream contract.
    """

    __tablename__ = "quality_alerts"
    __table_args__ = (UniqueConstraint("contract_id", "period_key", "check_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    period_key: Mapped[str] = mapped_column(String(64))
    check_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | resolved
    channel: Mapped[str] = mapped_column(String(100))
    consumer_channels: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    detail: Mapped[str] = mapped_column(Text)  # the verdict in words, as last shown
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    caused_by_id: Mapped[int | None] = mapped_column(ForeignKey("quality_alerts.id"))
    # folded under an upstream's late-data alert (`alerts.id`; migration 0019, no FK)
    caused_by_late_id: Mapped[int | None] = mapped_column(Integer)


class QualityResult(Base):
    """Every quality check run: the history behind the volume trend and `demarc status`."""

    __tablename__ = "quality_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    period_key: Mapped[str] = mapped_column(String(64))
    check_id: Mapped[str] = mapped_column(String(200))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(20))  # passed | failed | check_failed
    value: Mapped[float | None] = mapped_column(Float)
    rows: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class QualityStatus(Base):
    """The latest quality sweep of each contract: which period and which data it read."""

    __tablename__ = "quality_status"

    contract_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(64))
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(20))  # passed | failed | check_failed
    checks: Mapped[int] = mapped_column(Integer, default=0)
    failing: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")  # the failures, one per line
# ---------------------------------------------------------------------- on-call (issue 15)


class OncallPage(Base):
    """A person pressed "Page … on-call" on an answer (and confirmed): who, whom, about what."""

    __tablename__ = "oncall_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(200), index=True)
    paged: Mapped[str] = mapped_column(String(200))  # the on-call's key (Slack id, email, name)
    asked_by: Mapped[str] = mapped_column(String(40))
    query: Mapped[str] = mapped_column(String(300), default="")
    from_channel: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(100))  # where the page went
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OncallOverride(Base):
    """A shift taken from Slack (`/oncall take`): `person` covers `team_id` in [start, end)."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(200), index=True)
    person: Mapped[str] = mapped_column(String(200))  # a member's key (Slack id, email, name)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OncallState(Base):
    """What the on-call sync last did: `usergroup:<id>` → its users, `handoff:<team>` → the
    shift last announced. The sync compares against these, so each change happens once."""

    __tablename__ = "oncall_state"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EtaRow(Base):
    """An ETA the upstream responder gave on a late alert; the latest one of an alert counts."""

    __tablename__ = "etas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(Integer, index=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    eta: Mapped[datetime] = mapped_column(UtcDateTime())
    given_by: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime())
    missed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # re-paged then


class HomeViewer(Base):
    """Someone who opened the Home tab (last at `opened_at`): their tab is re-published, through
    the outbox, when a change concerns them."""

    __tablename__ = "home_viewers"

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DigestPost(Base):
    """A team's weekly SLA digest, queued once: the key makes a second replica's insert fail."""

    __tablename__ = "digest_posts"

    team: Mapped[str] = mapped_column(String(200), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)  # the Monday of the week shown
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outbox_id: Mapped[int | None] = mapped_column(Integer)
# ---------------------------------------------------------------------- data requests (issue 17)


class DataRequest(Base):
    """A request for data (MLOps → Data Eng): its terms, its state, its thread, its PR.

    `terms` is the form as JSON (`bot.requests.terms`), replaced by each counter-proposal;
    `route` is who was asked in which role, as it was when the request was made.
    """

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    what: Mapped[str] = mapped_column(Text)
    consumer_team: Mapped[str] = mapped_column(String(200))
    accountable_team: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(40))
    terms: Mapped[str] = mapped_column(Text)
    route: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)  # open|countered|accepted|…
    channel: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    pull_request: Mapped[str | None] = mapped_column(String(500))  # its URL, or the patch's path


class DataRequestEvent(Base):
    """A request's timeline: what happened, who did it (None: demarc itself), when."""

    __tablename__ = "data_request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
