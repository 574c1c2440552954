"""B3 reload: a reload where one file changed vs loading the whole registry; memory across
reloads; validation of a broken registry vs a valid one of the same size.

The registry is B3's (bench/b3_registry.py: 50 files of 1,000 assets, 5,000 contract files).
1. One file changed: `RegistryHolder.reload()` after rewriting one assets file (1,000 assets),
   against `load_registry` of the whole directory (what every reload cost before), in turns.
   Target: ≤ 0.5 s at 50k assets (judged on CPU time: the machine may be shared).
2. Memory: the process's RSS after each of 10 one-file reloads and 3 full ones (the holder's
   cache emptied first). Target: no growth across reloads of a kind (last ≤ first × 1.05);
   a full reload holds two registries for a moment (the last good one is kept until the
   new one is valid), so its first one raises the plateau once.
3. Validation: `load_registry` of a valid registry and of the same one with one asset in 20
   given an upstream that does not exist (499 at 10k assets), at two sizes, in turns.
   Target: linear — broken ≤ 1.5× valid at each size, and the broken time grows ≤ 2.5× when
   the size doubles.

    .venv/bin/python -m bench.b3_reload            # 50k assets; validation at 10k and 20k
    .venv/bin/python -m bench.b3_reload --tiny     # 2k assets; validation at 500 and 1,000 (CI)
"""

from __future__ import annotations

import gc
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.b3_registry import generate
from bench.common import Verdicts, parser, print_header, ratio
from bot.registry.holder import RegistryHolder
from ownership.load_cache import LoadCache
from ownership.loader import load_registry
from ownership.registry_files import registry_files

UPSTREAM = re.compile(r"^    upstream: \[(.*)\]$", re.MULTILINE)


def age(root: Path, seconds: float = 3600) -> None:
    """Date every file back, as a checkout that was not just written (the cache's racy window)."""
    then = time.time() - seconds
    for file in registry_files(root):
        os.utime(file, (then, then))


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


def break_registry(root: Path, every: int = 20) -> int:
    """Give one asset in `every` an upstream that is not an asset; how many were broken."""
    broken = 0
    for file in sorted((root / "assets").glob("*.yaml")):
        count = 0

        def dangle(match: re.Match[str]) -> str:
            nonlocal count, broken
            count += 1
            if count % every:
                return match.group(0)
            broken += 1
            ups = [u for u in match.group(1).split(", ") if u]
            return f"    upstream: [{', '.join([f'asset_9{broken:05d}', *ups])}]"

        file.write_text(UPSTREAM.sub(dangle, file.read_text()))
    return broken


def one_file_reloads(
    root: Path, repeat: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Seconds and CPU seconds of one-file reloads and of full loads, measured in turns."""
    holder = RegistryHolder.from_path(root)
    file = sorted((root / "assets").glob("*.yaml"))[len(list((root / "assets").glob("*"))) // 2]
    original = file.read_text()
    one, cpu, full, full_cpu = [], [], [], []
    for i in range(repeat):
        file.write_text(original.replace("Generated asset", f"Edited ({i}) asset", 1))
        start, start_cpu = time.perf_counter(), time.process_time()
        problems = holder.reload()
        one.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert not [p for p in problems if p.is_error], problems[:3]
        assert holder.cache.last_read == [str(file)] or len(holder.cache.last_read) == 1
        start, start_cpu = time.perf_counter(), time.process_time()
        load_registry(root)
        full.append(time.perf_counter() - start)
        full_cpu.append(time.process_time() - start_cpu)
    file.write_text(original)
    return one, cpu, full, full_cpu


def memory_across_reloads(root: Path, small: int, large: int) -> list[tuple[str, float]]:
    holder = RegistryHolder.from_path(root)
    file = sorted((root / "assets").glob("*.yaml"))[0]
    original = file.read_text()
    out = [("start", rss_mib())]
    for i in range(small):
        file.write_text(original.replace("Generated asset", f"Edited ({i}) asset", 1))
        holder.reload()
        out.append((f"one-file {i + 1}", rss_mib()))
    for i in range(large):
        holder.cache.files.clear()  # as if every file changed
        holder.reload()
        out.append((f"full {i + 1}", rss_mib()))
    file.write_text(original)
    return out


def validation(tmp: Path, sizes: tuple[int, int], repeat: int) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    for n in sizes:
        valid, broken = tmp / f"valid-{n}", tmp / f"broken-{n}"
        generate(valid, n, max(1, n // 10))
        generate(broken, n, max(1, n // 10))
        dangling = break_registry(broken)
        times: dict[str, list[float]] = {"valid": [], "broken": []}
        load_registry(broken)  # warm: imports and first-use costs are nobody's size
        for _ in range(repeat):
            for kind, root in (("valid", valid), ("broken", broken)):
                start = time.process_time()  # CPU: one thread's work, whatever the load
                result = load_registry(root, cache=LoadCache())  # a fresh cache: a full load
                times[kind].append(time.process_time() - start)
                errors = [p for p in result.problems if p.is_error]
                assert (len(errors) == dangling) if kind == "broken" else not errors
        out[n] = {k: min(v) for k, v in times.items()} | {"dangling": dangling}
    return out


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--assets", type=int, default=50_000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    sizes = (10_000, 20_000)
    memory_runs = (10, 3)
    if args.tiny:
        args.assets, args.repeat, sizes, memory_runs = 2_000, 2, (500, 1_000), (3, 1)
    print_header("B3 reload: one changed file vs the whole registry; memory; validation",
                 ["demarc", "PyYAML", "rapidfuzz"])
    load = os.getloadavg()
    print(f"   load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    verdicts = Verdicts()
    gc.collect()
    with tempfile.TemporaryDirectory(prefix="demarc-b3r-") as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "registry"
        generate(root, args.assets, max(1, args.assets // 10))
        age(root)
        print(f"-- {args.assets} assets, {len(registry_files(root))} files")
        one, cpu, full, full_cpu = one_file_reloads(root, args.repeat)
        one_med, full_med = statistics.median(one), statistics.median(full)
        cpu_med, full_cpu_med = statistics.median(cpu), statistics.median(full_cpu)
        print(f"   reload, one file changed   median {one_med:.3f} s, CPU {cpu_med:.3f} s"
              f"  (min {min(one):.3f} s, {args.repeat} runs)")
        print(f"   load_registry, every file  median {full_med:.3f} s, CPU {full_cpu_med:.3f} s"
              f"  (min {min(full):.3f} s)")
        print(f"   one-file reload / full load = {ratio(cpu_med, full_cpu_med):.3f}× (CPU)")
        verdicts.check(f"one-file reload ≤ 0.5 s at {args.assets} assets (wall {one_med:.3f} s, "
                       f"CPU {cpu_med:.3f} s)", cpu_med <= 0.5 if not args.tiny else None)

        memory = memory_across_reloads(root, *memory_runs)
        print("   RSS MiB: " + ", ".join(f"{w} {m:.0f}" for w, m in memory))
        ones = [m for w, m in memory if w.startswith("one-file")]
        fulls = [m for w, m in memory if w.startswith("full")]
        for what, rss in (("one-file", ones), ("full", fulls)):
            verdicts.check(f"memory steady across {what} reloads ({rss[0]:.0f} → {rss[-1]:.0f} "
                           "MiB)", rss[-1] <= rss[0] * 1.05 if not args.tiny else None)

        checks = validation(tmp, sizes, max(1, args.repeat // 2))
        for n, t in checks.items():
            print(f"   validate {n} assets (CPU): valid {t['valid']:.3f} s, with "
                  f"{t['dangling']:.0f} "
                  f"dangling upstreams {t['broken']:.3f} s ({ratio(t['broken'], t['valid']):.2f}×)")
        small, large = (checks[n] for n in sizes)
        growth = ratio(large["broken"], small["broken"])
        print(f"   broken, {sizes[1]} / {sizes[0]} assets = {growth:.2f}×")
        for n, t in checks.items():
            r = ratio(t["broken"], t["valid"])
            verdicts.check(f"broken ≤ 1.5× valid at {n} ({r:.2f}×)",
                           r <= 1.5 if not args.tiny else None)
        verdicts.check(f"broken grows ≤ 2.5× when the size doubles ({growth:.2f}×)",
                       growth <= 2.5 if not args.tiny else None)
    print("RESULTS " + json.dumps({
        "assets": args.assets, "one_file_reload_s": one_med, "one_file_cpu_s": cpu_med,
        "full_load_s": full_med, "full_load_cpu_s": full_cpu_med, "rss_mib": memory,
        "validation": checks,
        "loadavg": load,
    }))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
