"""B1's floor: the same `max(updated_at)` queries from a minimal psycopg script, N threads.

Each thread opens one autocommit connection and takes tables from a shared queue. Prints
{"table": "iso timestamp or null"} as JSON. Run by bench/b1_freshness.py as a whole process.

usage: python bench/b1_floor.py URL SCHEMA THREADS TABLE [TABLE ...]
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from datetime import UTC

import psycopg
from psycopg import sql


def main(argv: list[str]) -> int:
    url, schema, threads, tables = argv[0], argv[1], int(argv[2]), argv[3:]
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for name in tables:
        todo.put(name)
    out: dict[str, str | None] = {}

    def work() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while True:
                try:
                    name = todo.get_nowait()
                except queue.Empty:
                    return
                query = sql.SQL("SELECT max(updated_at), current_timestamp FROM {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(name)
                )
                row = conn.execute(query).fetchone()
                newest = row[0] if row else None
                out[name] = newest.astimezone(UTC).isoformat() if newest else None

    workers = [threading.Thread(target=work) for _ in range(min(threads, len(tables)))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
