"""Adapters around the `ownership` domain, in three bands; arrows point down only.

- `bootstrap` (the one composition root: `build` -> frozen `Services`, `start` -> `Runtime`)
  and `settings` (every environment variable, read and validated once);
- entry points: `cli/` (one module per command group, `serve`), `demo/`, `slack/` (Bolt app,
  WSGI, listeners/), `jobs/` (every background job, one scheduler: `jobs/schedule.py` lists
  them);
- use cases: `registry/` (holder, reload), `freshness/`, `incidents/`, `changes/` (notices,
  drift);
- adapters: `blocks/` (Block Kit), `text/` (terminal text, JSON), `outbox/`, `probes/`, `db/`
  (+ leases), `ops/` (logs, metrics).

The `[tool.importlinter]` contracts in pyproject.toml hold this order (`scripts/test`).
"""
