"""The `demarc` executable: `bot.cli.main` imported with the cyclic garbage collector paused.

Importing demarc, SQLAlchemy and psycopg only allocates what the process keeps (classes,
functions, dataclasses); each collection meanwhile walks all of it again, ~40 ms of a
`demarc check`'s start. Reference counting still frees everything else.
"""

from __future__ import annotations

from collections.abc import Sequence

from ownership.gc_pause import paused_gc


def main(argv: Sequence[str] | None = None) -> int:
    with paused_gc():
        from bot.cli.main import main as run
    return run(argv)
