"""Freshness checks: probe, judge against the SLA, record, alert (via the outbox)."""
