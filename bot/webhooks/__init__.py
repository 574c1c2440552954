"""Outgoing webhooks: HMAC-signed POSTs on incident and contract events, retried until
delivered or set aside as dead letters (docs/slack-surfaces.md#outgoing-webhooks)."""
