"""Incidents: the adapters around `ownership.incidents` and `ownership.incident_plan`.

`service.IncidentService` runs each use case (open, acknowledge, escalate, resolve, note) in one
transaction that writes the incident, its timeline events and its Slack messages (through the
outbox) together; `deadlines` holds the escalation and reminder timers and their claims, and
`timers` fires them; `export` writes the postmortem draft; `links` ties late-data alerts and
incidents together.

This package imports nothing at import time, so `bot.freshness.alerts` can use `links`.
"""
