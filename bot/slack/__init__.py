"""Slack as an entry point: the Bolt app, its listeners, the WSGI/HTTP server, Socket Mode,
request verification and the bot's own identity."""
