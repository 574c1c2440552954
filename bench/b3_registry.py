"""B3 registry load: `ownership.loader.load_registry` vs plain `yaml.CSafeLoader` parsing.

Generates a registry of 50,000 assets (50 files of 1,000, with aliases and lineage), 20 teams,
the RACI matrix and 5,000 contracts (one file each, as the format has it). Times the full load
(read, parse with positions, build the model, validate) against reading and parsing the same
files with `yaml.load(text, Loader=yaml.CSafeLoader)` (with the garbage collector paused, as
`load_registry` pauses it: like for like), then times `who_owns` lookups by exact
id and by alias, and reports peak memory (tracemalloc) of a load.
Targets: load ≤ 2× the parse; lookup p99 under 1 ms.

    .venv/bin/python -m bench.b3_registry              # 50,000 assets, 5,000 contracts
    .venv/bin/python -m bench.b3_registry --tiny       # 500 assets, 50 contracts (CI)
"""

from __future__ import annotations

import gc
import json
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bench.common import (
    Verdicts,
    best_of,
    parser,
    percentile,
    print_header,
    ratio,
    summary_ms,
    write,
)
from bot.registry.holder import RegistryHolder
from ownership.answers import AssetAnswer, who_owns
from ownership.loader import load_registry
from ownership.registry_files import registry_files

TEAMS = 20
ASSETS_PER_FILE = 1000
KINDS = ("source", "table", "feature", "model")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def team_id(i: int) -> str:
    return f"team_{i:02d}"


def asset_id(i: int) -> str:
    return f"asset_{i:06d}"


def alias_of(i: int) -> str:
    return f"alias_{i:06d}"


def teams_yaml() -> str:
    disciplines = ("data_engineering", "mlops", "product")
    lines = ["teams:"]
    for t in range(TEAMS):
        n = t + 1
        lines += [
            f"  - id: {team_id(t)}",
            f"    name: Team {t:02d}",
            f"    discipline: {disciplines[t % 3]}",
            f"    slack: {{usergroup: {{id: S0TEAM{t:04d}}}, "
            f'oncall_channel: "#team-{t:02d}-oncall"}}',
            f"    members: [{{name: Person {t}a, slack: U0P{t:04d}A1}}, "
            f"{{name: Person {t}b, slack: U0P{t:04d}B1}}]",
            f"    oncall: {{members: [U0P{t:04d}A1, U0P{t:04d}B1], period: 1 week, "
            f"timezone: UTC, start: 2026-01-0{1 + n % 7}}}",
        ]
    lines += [
        "raci:",
        "  activities:",
        "    raw_data_ingestion: {name: Raw data ingestion, roles: "
        "{data_engineering: R/A, mlops: I, product: I}}",
        "    data_warehouse_setup: {name: Data warehouse setup, roles: "
        "{data_engineering: R/A, mlops: C, product: I}}",
        "    feature_engineering: {name: Feature engineering, roles: "
        "{data_engineering: C, mlops: R/A, product: C}}",
        "    model_training: {name: Model training, roles: "
        "{data_engineering: I, mlops: R/A, product: C}}",
        "  kinds: {source: raw_data_ingestion, table: data_warehouse_setup, "
        "feature: feature_engineering, model: model_training}",
    ]
    return "\n".join(lines) + "\n"


def assets_yaml(start: int, stop: int, rng: random.Random) -> str:
    lines = ["assets:"]
    for i in range(start, stop):
        kind = KINDS[i % len(KINDS)]
        ups = sorted({asset_id(rng.randrange(i)) for _ in range(2)}) if i > 10 else []
        lines += [
            f"  - id: {asset_id(i)}",
            f"    kind: {kind}",
            f"    description: Generated asset number {i} for the registry benchmark.",
            f"    aliases: [{alias_of(i)}]",
            f"    owner: {team_id(i % TEAMS)}",
            f"    upstream: [{', '.join(ups)}]",
            f"    runbook: https://wiki.example.com/runbooks/{asset_id(i)}",
        ]
    return "\n".join(lines) + "\n"


def contract_yaml(i: int) -> str:
    owner = team_id(i % TEAMS)
    consumers = ", ".join(sorted({team_id((i + 1) % TEAMS), team_id((i + 7) % TEAMS)}))
    return (
        f"data_source: {asset_id(i)}\n"
        f"owner_team: {owner}\n"
        f"consumer_teams: [{consumers}]\n"
        "sla:\n"
        "  update_frequency: daily\n"
        f'  update_time: "{i % 24:02d}:00 UTC"\n'
        '  max_delay: "30 minutes"\n'
        "schema:\n"
        "  id: {type: string, required: true}\n"
        "  updated_at: {type: timestamp, required: true}\n"
        "change_policy:\n"
        '  breaking_changes: "30 days notice via #data-changes"\n'
        '  non_breaking_changes: "announced but no approval needed"\n'
        "contacts:\n"
        f"  primary: {owner}@company.com\n"
        f'  oncall: "#team-{i % TEAMS:02d}-oncall"\n'
        "probe:\n"
        "  sql: {connection: WAREHOUSE_URL, "
        f"table: t_{i:06d}, schema: warehouse, timestamp_column: updated_at}}\n"
    )


def generate(root: Path, assets: int, contracts: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    write(root / "teams.yaml", teams_yaml())
    for start in range(0, assets, ASSETS_PER_FILE):
        stop = min(assets, start + ASSETS_PER_FILE)
        write(root / "assets" / f"assets_{start // ASSETS_PER_FILE:03d}.yaml",
              assets_yaml(start, stop, rng))
    step = max(1, assets // contracts)
    for n in range(contracts):
        i = n * step
        write(root / "contracts" / f"{asset_id(i)}.yaml", contract_yaml(i))


def parse_all(files: list[Path]) -> int:
    """The baseline, like for like with `load_registry`: the cyclic collector paused too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        docs = 0
        for file in files:
            text = file.read_text(encoding="utf-8")
            docs += yaml.load(text, Loader=yaml.CSafeLoader) is not None
        return docs
    finally:
        if enabled:
            gc.enable()


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--assets", type=int, default=50_000)
    p.add_argument("--contracts", type=int, default=5_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--lookups", type=int, default=20_000)
    args = p.parse_args(argv)
    if args.tiny:
        args.assets, args.contracts, args.repeat, args.lookups = 500, 50, 1, 500
    print_header("B3 registry load: load_registry vs yaml.CSafeLoader parse", ["demarc", "PyYAML"])
    verdicts = Verdicts()
    with tempfile.TemporaryDirectory(prefix="demarc-b3-") as tmp:
        root = Path(tmp) / "registry"
        generate(root, args.assets, args.contracts)
        files = registry_files(root)
        size = sum(f.stat().st_size for f in files)
        print(f"-- {args.assets} assets, {args.contracts} contracts, {TEAMS} teams: "
              f"{len(files)} files, {size / 1e6:.1f} MB")
        parse_all(files)  # warm the page cache
        parse_s, _ = best_of(args.repeat, lambda: parse_all(files))
        load_s, result = best_of(args.repeat, lambda: load_registry(root))
        registry = result.registry  # type: ignore[attr-defined]
        if registry is None:
            errors = result.errors  # type: ignore[attr-defined]
            raise SystemExit(f"the generated registry has errors: {errors[:5]}")
        print(f"   yaml.CSafeLoader parse    {parse_s:8.3f} s   best of {args.repeat}")
        print(f"   load_registry             {load_s:8.3f} s   best of {args.repeat}"
              f"   ({len(registry.assets)} assets, {len(registry.contracts)} contracts)")
        load_ratio = ratio(load_s, parse_s)
        print(f"   load / parse = {load_ratio:.2f}×  (target ≤ 2×)")
        verdicts.check(f"load ≤ 2× parse ({load_ratio:.2f}×)", load_ratio <= 2.0)

        gc.collect()
        tracemalloc.start()
        again = load_registry(root)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del again
        print(f"   peak memory of one load (tracemalloc): {peak / 2**20:.1f} MiB")

        # Lookups as the bot serves them: the registry held by a RegistryHolder.
        registry = RegistryHolder.from_path(root).registry
        rng = random.Random(7)
        n = len(registry.assets)
        by_id, by_alias = [], []
        who_owns(registry, asset_id(0), NOW)  # first call may build caches
        who_owns(registry, alias_of(0), NOW)
        for k in range(args.lookups):
            i = rng.randrange(min(n, args.assets))
            query = asset_id(i) if k % 2 == 0 else alias_of(i)
            start = time.perf_counter()
            answer = who_owns(registry, query, NOW)
            took = time.perf_counter() - start
            assert isinstance(answer, AssetAnswer), (query, answer)
            (by_id if k % 2 == 0 else by_alias).append(took)
        print(f"   who_owns by id:    {summary_ms(by_id)}")
        print(f"   who_owns by alias: {summary_ms(by_alias)}")
        for what, samples in (("id", by_id), ("alias", by_alias)):
            p99 = percentile(samples, 99) * 1000
            verdicts.check(f"who_owns by {what} p99 under 1 ms ({p99:.3f} ms)", p99 < 1.0)
    maxrss = _maxrss_mib()
    print(f"   process peak RSS (getrusage): {maxrss:.0f} MiB")
    print("RESULTS " + json.dumps({
        "assets": args.assets, "contracts": args.contracts, "files": len(files),
        "parse_s": parse_s, "load_s": load_s, "load_vs_parse": load_ratio,
        "peak_tracemalloc_mib": peak / 2**20, "maxrss_mib": maxrss,
        "id_p99_ms": percentile(by_id, 99) * 1000, "alias_p99_ms": percentile(by_alias, 99) * 1000,
    }))
    verdicts.print_summary()
    return 0


def _maxrss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
