"""SLA report figures (docs/reports.md): pure arithmetic over rollups, alerts and incidents."""
