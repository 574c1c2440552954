"""Adapters around the `ownership` domain: Slack, HTTP, settings and the composition root."""
