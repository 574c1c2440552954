"""The incident service on SQLite and PostgreSQL: one transaction per use case, messages through
the real outbox to the fake Slack Web API, timers fired by an injected clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.bootstrap import Services, build
from bot.db.models import Alert, Incident, IncidentAlert, IncidentEvent, OpenIncident, SlackRoot
from bot.freshness import alerts as freshness_alerts
from bot.incidents.export import export_incident
from bot.incidents.service import IncidentService
from bot.registry.holder import RegistryHolder
from ownership.incidents import Action, Severity
from ownership.oncall import on_call
from ownership.sla import Evaluation, FreshnessState
from tests.conftest import EXAMPLE_REGISTRY
from tests.fakes.fake_slack import FakeSlack
from tests.integration.worlds import settings_for

T = datetime(2026, 3, 10, 2, 45, tzinfo=UTC)
PINGS = ("<@", "<!subteam", "<!channel", "<!here")
INCIDENT_CHANNEL = "#mlops-churn-oncall"
INFORMED_CHANNEL = "#mlops-reco-oncall"
DANA, ALICE, STRANGER = "U0DANAKOW", "U0ALICE01", "U0STRANGE1"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class World:
    def __init__(self, url: str, slack: FakeSlack) -> None:
        self.url, self.slack, self.clock = url, slack, Clock(T)
        self.holder = RegistryHolder.from_path(EXAMPLE_REGISTRY)
        self.services = self.restart()

    def restart(self, admins: tuple[str, ...] = ()) -> Services:
        """A new process on the same database: nothing in memory survives."""
        client = WebClient(token="xoxb-test", base_url=self.slack.base_url, retry_handlers=[])
        return build(settings_for(self.url, admins=admins), slack_client=client, environ={},
                     clock=self.clock, holder=self.holder)

    @property
    def incidents(self) -> IncidentService:
        assert self.services.incidents is not None
        return self.services.incidents

    def late_alert(self) -> int:
        """customer_master_db is late: an open alert whose root was delivered."""
        with Session(self.services.engine) as s, s.begin():
            alert = Alert(contract_id="customer_master_db", period_key="2026-03-10", kind="late",
                          status="open", channel="#data-eng-oncall", opened_at=self.clock.now,
                          deadline=datetime(2026, 3, 10, 2, 30, tzinfo=UTC),
                          window_start=datetime(2026, 3, 9, 14, 15, tzinfo=UTC), affected="")
            s.add(alert)
            s.flush()
            s.add(SlackRoot(key=f"alert:{alert.id}", channel="C0DATAENG1", ts="1767225000.000001"))
            return alert.id

    def deliver(self) -> None:
        for _ in range(8):
            self.services.outbox.deliver_due()
            self.clock.advance(seconds=1.1)

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [r.body for r in self.slack.calls("chat.postMessage")
                if channel is None or r.body.get("channel") == channel]

    def thread(self) -> list[str]:
        """Replies in the incident's thread (not in the alert's), as block JSON."""
        return [json.dumps(b.get("blocks"), ensure_ascii=False) for b in self.posts()
                if b.get("thread_ts") and b.get("channel") != "C0DATAENG1"]

    def events(self, incident_id: int = 1) -> list[str]:
        with Session(self.services.engine) as s:
            return list(s.scalars(select(IncidentEvent.kind)
                                  .where(IncidentEvent.incident_id == incident_id)
                                  .order_by(IncidentEvent.id)))

    def row(self, incident_id: int = 1) -> Incident:
        with Session(self.services.engine) as s:
            row = s.get(Incident, incident_id)
            assert row is not None
            return row


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with FakeSlack() as slack:
        w = World(database_url, slack)
        yield w
        w.services.prober.close()
        w.services.engine.dispose()


def oncall(world: World, team: str) -> str:
    person = on_call(world.holder.registry.teams[team], T)
    assert person is not None
    assert person.slack_id is not None
    return person.slack_id


def test_open_tags_both_teams_informs_quietly_and_links_the_late_alert(world: World) -> None:
    alert_id = world.late_alert()
    reply = world.incidents.open("customer_age", "predictions wrong", actor=DANA)
    assert reply.ok
    assert reply.incident_id == 1
    world.deliver()
    [root] = [b for b in world.posts(INCIDENT_CHANNEL) if "thread_ts" not in b]
    assert root["text"].startswith("Incident #1 · SEV2 on customer_age")
    tags = world.thread()[0]
    assert f"<@{oncall(world, 'mlops_churn')}> *MLOps Churn* on call" in tags
    assert f"<@{oncall(world, 'data_engineering')}> *Data Engineering* on call" in tags
    assert "Responsible for upstream customer_master_db (late)" in tags
    [notice] = world.posts(INFORMED_CHANNEL)
    sent = json.dumps(notice, ensure_ascii=False)
    assert "Incident #1" in sent
    assert not any(ping in sent for ping in PINGS)
    with Session(world.services.engine) as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        assert alert.incident_id == 1
        assert s.get(IncidentAlert, (1, alert_id)) is not None
    edits = [r.body for r in world.slack.calls("chat.update") if r.body["channel"] == "C0DATAENG1"]
    assert "Incident: #1" in json.dumps(edits[-1]["blocks"])
    assert world.events() == ["opened", "tagged", "tagged", "informed", "alert_linked"]


def test_one_open_incident_per_asset_in_the_service_and_in_the_database(world: World) -> None:
    world.incidents.open("customer_age", "predictions wrong", actor=DANA)
    again = world.incidents.open("age", "still wrong", actor=ALICE)
    assert not again.ok
    assert again.incident_id == 1
    assert "already open" in again.text
    with Session(world.services.engine) as s, s.begin():
        second = Incident(asset="customer_age", summary="x", severity="sev2",
                          opened_severity="sev2", status="open", channel="#c", plan="{}",
                          opened_at=T)
        s.add(second)
        s.flush()
        s.add(OpenIncident(asset="customer_age", incident_id=second.id))
        with pytest.raises(IntegrityError):
            s.flush()  # a second open incident for the asset: refused by the database
        s.rollback()
    world.incidents.resolve(1, actor=DANA, side="data", note="fixed")
    reopened = world.incidents.open("customer_age", "broken again", actor=DANA)
    assert reopened.ok
    assert reopened.incident_id not in (None, 1)  # PostgreSQL does not reuse ids


def test_unacknowledged_escalates_once_across_restarts_and_replicas(world: World) -> None:
    world.incidents.open("customer_age", "predictions wrong", actor=DANA)
    world.clock.advance(minutes=14)
    assert world.incidents.fire_due_timers() == 0
    world.clock.advance(minutes=2)
    other = world.restart()  # a second replica on the same database
    assert other.incidents is not None
    fired: list[int] = []
    threads = [threading.Thread(target=lambda s=s: fired.append(s.fire_due_timers()))
               for s in (world.incidents, other.incidents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(fired) == [0, 1]
    assert world.incidents.fire_due_timers() == 0
    row = world.row()
    assert (row.status, row.severity, row.escalated_by) == ("escalated", "sev1", None)
    world.deliver()
    escalation = [t for t in world.thread() if "Escalated to SEV1" in t]
    assert len(escalation) == 1
    assert "<!subteam^S0MLCHURN> *MLOps Churn*: Accountable" in escalation[0]
    assert "automatically" in escalation[0]
    other.engine.dispose()


def test_acknowledging_stops_escalation_and_reminders_come_once_per_interval(
    world: World,
) -> None:
    world.incidents.open("customer_age", "predictions wrong", actor=DANA)
    world.clock.advance(minutes=5)
    assert world.incidents.acknowledge(1, actor=DANA).changed
    assert world.row().next_escalation_at is None
    world.clock.advance(minutes=50)  # 55 min: past the escalation, before the 1 h reminder
    assert world.incidents.fire_due_timers() == 0
    world.clock.advance(minutes=10)
    assert world.incidents.fire_due_timers() == 1
    restarted = world.restart()
    assert restarted.incidents is not None
    assert restarted.incidents.fire_due_timers() == 0
    restarted.engine.dispose()
    world.clock.advance(minutes=30)
    world.incidents.add_note(1, actor=STRANGER, note="dashboard looks off too")  # resets it
    world.clock.advance(minutes=40)
    assert world.incidents.fire_due_timers() == 0
    world.clock.advance(minutes=21)
    assert world.incidents.fire_due_timers() == 1
    assert world.events().count("reminder") == 2
    assert world.row().status == "acknowledged"


def test_permissions_double_actions_and_resolving_twice(world: World) -> None:
    world.incidents.open("customer_age", "predictions wrong", actor=DANA)
    for action in (Action.ACKNOWLEDGE, Action.ESCALATE, Action.RESOLVE):
        refused = world.incidents.act(1, action, actor=STRANGER, side="data", note="n")
        assert not refused.ok
        assert "Only members of" in refused.text
    assert world.incidents.acknowledge(1, actor=ALICE).changed
    assert "acknowledged already" in world.incidents.acknowledge(1, actor=DANA).text
    assert world.incidents.escalate(1, actor=ALICE).changed
    assert not world.incidents.escalate(1, actor=ALICE).changed
    world.services.close()
    world.services = world.restart(admins=(STRANGER,))  # DEMARC_ADMINS names the stranger
    assert world.incidents.resolve(1, actor=STRANGER, side="external", note="vendor").changed
    twice = world.incidents.resolve(1, actor=DANA, side="data", note="again")
    assert not twice.ok
    assert "already resolved" in twice.text
    row = world.row()
    assert (row.status, row.boundary_side, row.resolved_by) == ("resolved", "external", STRANGER)
    assert world.events().count("resolved") == 1
    with Session(world.services.engine) as s:
        assert s.scalar(select(func.count()).select_from(OpenIncident)) == 0


def test_the_incident_thread_hears_when_the_late_data_arrives(world: World) -> None:
    alert_id = world.late_alert()
    world.incidents.open("customer_age", "predictions wrong", actor=DANA)
    registry = world.holder.registry
    contract = registry.contracts["customer_master_db"]
    arrived = datetime(2026, 3, 10, 3, 17, tzinfo=UTC)
    evaluation = Evaluation(FreshnessState.RECOVERED, last_update=arrived)
    with Session(world.services.engine) as s, s.begin():
        alert = s.get(Alert, alert_id)
        assert alert is not None
        world.clock.now = datetime(2026, 3, 10, 3, 20, tzinfo=UTC)  # the check that sees it
        freshness_alerts.recover(  # with the hook bootstrap wires in: incidents hear it
            s, registry, contract, alert, evaluation, world.clock.now,
            world.services.freshness.on_recovered,
        )
    world.deliver()
    recovered = [t for t in world.thread() if "data arrived" in t]
    assert len(recovered) == 1
    assert "47 min late" in recovered[0]
    assert world.events()[-1] == "data_recovered"


def test_the_export_reads_like_a_postmortem(world: World) -> None:
    world.late_alert()
    world.incidents.open("customer_age", "predictions wrong", actor=DANA)
    world.clock.advance(minutes=4)
    world.incidents.acknowledge(1, actor=DANA)
    world.clock.advance(minutes=30)
    world.incidents.add_note(1, actor=ALICE, note="CRM export | stuck since 02:00")
    world.incidents.resolve(1, actor=ALICE, side="data", note="restarted the CRM export")
    text = export_incident(world.services.engine, 1, world.holder.registry, world.clock.now)
    assert text is not None
    for heading in ("## Summary", "## Impact", "## Timeline (UTC)", "## Owners per RACI",
                    "## Contract and SLA", "## Which side of the boundary broke",
                    "## Follow-ups"):
        assert heading in text
    assert "| Acknowledged | 2026-03-10 02:49 UTC by Dana Kowalski, 4 min after opening |" in text
    assert "| Data Engineering | Responsible |" in text
    assert "daily, due 02:00 UTC, late after 02:30 UTC" in text
    assert "**Data**: the data side" in text
    assert "CRM export \\| stuck since 02:00" in text  # a pipe cannot break the table
    assert "- [ ] Data Engineering: fix the cause in `customer_master_db`" in text
    assert export_incident(world.services.engine, 99, None, world.clock.now) is None


def test_only_the_timers_lease_holder_fires(world: World) -> None:
    from bot.incidents.timers import TimerJob
    from ownership.incidents import Severity, TimerPolicy

    quick = {s: TimerPolicy(timedelta(seconds=10), timedelta(hours=1)) for s in Severity}
    a, b = (IncidentService(world.services.engine, lambda: world.holder.registry,
                            clock=world.clock, policies=quick) for _ in range(2))
    first, second = TimerJob(a, holder="replica-a"), TimerJob(b, holder="replica-b")
    a.open("customer_age", "predictions wrong", actor=DANA)
    assert first.run_once() == 0  # nothing due yet; replica-a holds the lease now
    world.clock.advance(seconds=20)  # the escalation is due, the lease (45 s) still held
    assert second.run_once() == 0
    assert first.run_once() == 1
    world.clock.advance(minutes=5)  # replica-a is gone: its lease runs out, b takes over
    assert second.run_once() == 0  # nothing due, but it holds the lease now
    assert first.run_once() == 0


def test_escalating_a_sev1_says_what_it_did_without_claiming_a_change(world: World) -> None:
    world.incidents.open("customer_age", "predictions wrong", actor=DANA, severity=Severity.SEV1)
    reply = world.incidents.escalate(1, actor=DANA)
    assert reply.changed
    assert "Escalated to" not in reply.text
    assert "still SEV1, the highest severity" in reply.text
    world.deliver()
    [note] = [t for t in world.thread() if "Escalated" in t]
    assert "Escalated to SEV1" not in note
    assert "stays SEV1, the highest severity" in note
    assert "Accountable for" in note
    assert world.row().severity == "sev1"
    with Session(world.services.engine) as s:
        detail = s.scalars(select(IncidentEvent.detail)
                           .where(IncidentEvent.kind == "escalated")).one()
    assert detail.startswith("stays SEV1; tagged Accountable")
