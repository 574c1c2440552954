"""The `demarc` command line: a module per command group, exit codes, terminal and JSON text.

`main` parses and dispatches; each command loads only what it needs (validate and whoowns
never import SQLAlchemy or Slack).
"""
