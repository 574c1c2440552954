"""`python -m tests.fuzz [--examples N] [--seed S]`: fuzz the registry parser, record the result.

Generates N registries (default 10,000) with `tests.fuzz.registries`, loads each, and collects
every failure of the property (a traceback, or a problem without file:line:col or marked as an
internal error) instead of stopping at the first. Prints a summary, appends it to
tests/fuzz/RESULTS.md and exits 1 if anything failed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.fuzz.registries import check_registry, registries

RESULTS = Path(__file__).with_name("RESULTS.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    failures: Counter[str] = Counter()
    first: dict[str, str] = {}
    stats = {"examples": 0, "loaded": 0, "problems": 0}

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # collect every failure; the CI test shrinks
        suppress_health_check=list(HealthCheck),
    )
    @given(registries())
    def run(files: dict[str, bytes]) -> None:
        stats["examples"] += 1
        try:
            result = check_registry(files)
        except Exception as exc:  # every failure kind is counted, not only the first
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            failures[key] += 1
            first.setdefault(key, f"{exc!s:.300}\nfiles: {sorted(files)}")
            return
        stats["loaded"] += result.registry is not None
        stats["problems"] += len(result.problems)

    started = time.monotonic()
    run()
    elapsed = time.monotonic() - started
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {stats['examples']} registries, "
        f"seed {args.seed}, {elapsed:.0f} s ({1000 * elapsed / max(stats['examples'], 1):.1f} "
        "ms each)",
        "",
        f"- {stats['loaded']} loaded without errors; {stats['problems']} problems reported, "
        "each with file:line:col",
        f"- failures: {sum(failures.values())}"
        + "".join(f"\n  - {n} × {k}: {first[k]}" for k, n in failures.most_common()),
        "",
    ]
    print("\n".join(lines))
    if not args.no_record:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
