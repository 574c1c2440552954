"""On-call in Slack: shifts taken from Slack, pages from answers, the user-group and handoff
sync, and schedules read from elsewhere (iCalendar, PagerDuty, Opsgenie)."""
