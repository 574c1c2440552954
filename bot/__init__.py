"""The adapters around the `ownership` domain, in three bands; arrows point down only.

Entry points: `cli/` (the `demarc` commands), `demo/` (the bot in a terminal), `slack/` (Bolt,
HTTP, listeners), `jobs/` (background work); `bootstrap.py` wires one process for them.
Use cases: `registry/`, `freshness/`, `incidents/`, `changes/`.
Adapters: `outbox/`, `probes/`, `ops/`, `db/`, `blocks/`; `settings.py` reads the environment.
The `[tool.importlinter]` contracts in pyproject.toml hold this order (`scripts/test`).
"""
