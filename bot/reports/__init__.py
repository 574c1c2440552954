"""SLA reports: read rollups, alerts and incidents, hand them to ownership.reports."""
