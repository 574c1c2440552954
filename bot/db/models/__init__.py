"""Tables, one module per area. Alembic revisions in `migrations/versions` must match these
(a test checks)."""

from __future__ import annotations

from bot.db.models.base import NAMING, Base, UtcDateTime
from bot.db.models.changes import ChangeNoticePost, SchemaDriftAlert
from bot.db.models.delivery import Lease, OutboxMessage, ProcessedEvent, Replica, SlackRoot
from bot.db.models.freshness import (
    Alert,
    CheckResult,
    CheckRollup,
    ContractStatus,
    EtaRow,
    MetricTotal,
    SilenceRow,
)
from bot.db.models.incidents import Incident, IncidentAlert, IncidentEvent, OpenIncident
from bot.db.models.oncall import OncallOverride, OncallPage, OncallState
from bot.db.models.quality import QualityAlert, QualityResult, QualityStatus
from bot.db.models.requests import DataRequest, DataRequestEvent
from bot.db.models.surfaces import DigestPost, HomeViewer, Subscription, WebhookDelivery

__all__ = [
    "NAMING",
    "Alert",
    "Base",
    "ChangeNoticePost",
    "CheckResult",
    "CheckRollup",
    "ContractStatus",
    "DataRequest",
    "DataRequestEvent",
    "DigestPost",
    "EtaRow",
    "HomeViewer",
    "Incident",
    "IncidentAlert",
    "IncidentEvent",
    "Lease",
    "MetricTotal",
    "OncallOverride",
    "OncallPage",
    "OncallState",
    "OpenIncident",
    "OutboxMessage",
    "ProcessedEvent",
    "QualityAlert",
    "QualityResult",
    "QualityStatus",
    "Replica",
    "SchemaDriftAlert",
    "SilenceRow",
    "SlackRoot",
    "Subscription",
    "UtcDateTime",
    "WebhookDelivery",
]
