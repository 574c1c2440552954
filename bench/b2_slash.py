"""B2 slash latency: signed `/whoowns` requests to demarc and to a bare Bolt app, interleaved.

Both apps run in their own process behind the same server setup
(`bot.slack.http_server.make_server`: waitress, the same router and thread count), with a fake
Slack Web API on loopback for Bolt's auth.test, and both with `process_before_response=True`:
the listener runs on the request thread and the response leaves when it returns. (Bolt's
default, which the bare app had before, runs the listener on a pool and has the request
thread poll for the ack every 10 ms: ~10 ms of sleep in every bare request, the same order
as demarc's whole answer, so the comparison could not see demarc.) One load-generator process
sends signed requests on a fixed schedule, 50 per second, alternating between the two apps,
so both see the same moments of the same machine. Scenarios, one after the other, each for
`--seconds`, on a 50,000-asset registry:

  known    half by asset id, half by alias
  unknown  words no asset has (typos of ids, other words): demarc answers with suggestions
  reload   known words while demarc reloads its registry back to back, one file changed each
           time (as after a `git pull`)
  full     known words while demarc reloads every file back to back (no target: reported)

Targets: known p99 ≤ 1.3× the bare app's and under 100 ms; unknown p99 under 50 ms; p99
during one-file reloads ≤ 2× demarc's p99 at rest (known).

A p99 of 500 samples is their 5th-slowest, which one stall of the machine moves; `known` and
`unknown` therefore run `--rounds` times (3: 1,500 samples an app), and the verdicts read the
pooled percentiles, with each round's p99. Each server also times its app's WSGI call ("inside
the app"): a tail the client sees but the app did not spend is HTTP, queues or the machine.

    .venv/bin/python -m bench.b2_slash            # 50,000 assets, 50 req/s, 20 s a scenario
    .venv/bin/python -m bench.b2_slash --tiny     # 500 assets, 20 req/s for 2 s (CI)
    .venv/bin/python -m bench.b2_slash --rounds 1 # one round a scenario, as before
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, Verdicts, parser, percentile, print_header, summary_ms

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
SCENARIOS = ("known", "unknown", "reload", "full")
ROUNDED = ("known", "unknown")  # scenarios run --rounds times, pooled


# ---------------------------------------------------------------------- the load generator
def load(urls: list[str], queries: list[str], rate: float, seconds: float, warmup: int) -> int:
    """Send signed /whoowns requests on a fixed schedule, alternating between `urls`; print
    each app's latencies (s) as JSON."""
    import httpx

    from tests.fakes.signing import command_body, signed_headers

    total = int(rate * seconds) // len(urls) * len(urls)
    rng = random.Random(11)
    picks = [rng.choice(queries) for _ in range(total + warmup)]
    latencies: list[float | None] = [None] * total
    failures: list[str] = []
    lock = threading.Lock()

    def send(client: httpx.Client, url: str, text: str) -> float:
        body = command_body(text, response_url="http://127.0.0.1:9/response/none")
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   **signed_headers(SECRET, body, int(time.time()))}
        start = time.perf_counter()
        response = client.post(url, content=body.encode(), headers=headers)
        took = time.perf_counter() - start
        if response.status_code != 200 or ("static answer" not in response.text
                                           and text not in response.text):
            with lock:
                failures.append(f"{text}: HTTP {response.status_code} {response.text[:120]}")
        return took

    with httpx.Client(timeout=10.0) as client:
        for i, text in enumerate(picks[:warmup]):
            send(client, urls[i % len(urls)], text)
    next_index = iter(range(total))
    t0 = time.perf_counter() + 0.2

    def worker() -> None:
        with httpx.Client(timeout=10.0) as client:
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                delay = t0 + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                latencies[i] = send(client, urls[i % len(urls)], picks[warmup + i])

    workers = [threading.Thread(target=worker) for _ in range(16)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - t0
    per_url = [[x for x in latencies[k :: len(urls)] if x is not None] for k in range(len(urls))]
    print(json.dumps({"latencies": per_url, "failures": failures[:5], "failed": len(failures),
                      "wall": wall}))
    return 0


# ---------------------------------------------------------------------- orchestration
class Server:
    def __init__(self, kind: str, registry: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "-m", "bench.b2_slash", "serve", kind, str(registry)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the {kind} server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/slack/events"

    def command(self, text: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def measure(servers: list[Server], queries_file: Path, rate: float, seconds: float,
            warmup: int, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, "-m", "bench.b2_slash", "load", ",".join(s.url for s in servers),
         str(queries_file), str(rate), str(seconds), str(warmup)],
        capture_output=True, text=True, env=env, cwd=REPO, check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def pooled(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One result of several rounds: latencies pooled per app, each round's kept."""
    return {
        "latencies": [[x for r in rounds for x in r["latencies"][k]] for k in range(2)],
        "failures": [f for r in rounds for f in r["failures"]][:5],
        "failed": sum(r["failed"] for r in rounds),
        "rounds": [r["latencies"] for r in rounds],
    }


def unknown_words(assets: int) -> list[str]:
    """Typos of ids and aliases (a digit doubled, a letter dropped) and words nobody uses."""
    from bench.b3_registry import alias_of, asset_id

    rng = random.Random(13)
    out = []
    for _ in range(500):
        i = rng.randrange(assets)
        out += [asset_id(i).replace("asset", "aset"), alias_of(i) + "9",
                f"{rng.choice(['revenue', 'churn', 'sessions', 'orders'])}_{i}_daily"]
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        from bench.b2_server import serve

        return serve(argv[1], argv[2], SECRET, TOKEN)
    if argv[:1] == ["load"]:
        queries = json.loads(Path(argv[2]).read_text())
        return load(argv[1].split(","), queries, float(argv[3]), float(argv[4]), int(argv[5]))
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--assets", type=int, default=50_000)
    p.add_argument("--rate", type=float, default=50.0, help="requests per second, both apps")
    p.add_argument("--seconds", type=float, default=20.0, help="per scenario and round")
    p.add_argument("--rounds", type=int, default=3, help="rounds of known and unknown")
    p.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS),
                   help="a subset, in this order (known is always run: the others' reference)")
    args = p.parse_args(argv)
    warmup = 50
    if args.tiny:
        args.assets, args.rate, args.seconds, warmup, args.rounds = 500, 20.0, 2.0, 6, 1
    from bench.b3_registry import alias_of, asset_id, generate
    from bench.b3_reload import age

    print_header("B2 slash latency: demarc vs bare Bolt app, interleaved, same waitress setup",
                 ["demarc", "slack_bolt", "slack_sdk", "waitress", "httpx", "rapidfuzz"])
    load_avg = os.getloadavg()
    print(f"   load average {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")
    verdicts = Verdicts()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="demarc-b2-") as tmp:
        root = Path(tmp) / "registry"
        generate(root, args.assets, max(1, args.assets // 10))
        age(root)
        known = [f(i) for i in range(args.assets) for f in (asset_id, alias_of)]
        files = {}
        for name, words in (("known", known), ("unknown", unknown_words(args.assets))):
            files[name] = Path(tmp) / f"{name}.json"
            files[name].write_text(json.dumps(words))
        print(f"-- {args.assets} assets; {args.rate:g} req/s for {args.seconds:g} s per "
              "scenario, alternating between the apps")
        bare, demarc = Server("bare", root, env), Server("demarc", root, env)
        try:
            for scenario in [s for s in SCENARIOS if s in {"known", *args.scenarios}]:
                reloading = {"reload": "reload one", "full": "reload all"}.get(scenario)
                if reloading:
                    assert demarc.command(reloading) == "OK"
                words = files["unknown" if scenario == "unknown" else "known"]
                rounds, inside = [], [[], []]
                for _ in range(args.rounds if scenario in ROUNDED else 1):
                    for server in (bare, demarc):
                        server.command("inside")  # from here on
                    rounds.append(
                        measure([bare, demarc], words, args.rate, args.seconds, warmup, env)
                    )
                    for k, server in enumerate((bare, demarc)):
                        took = json.loads(server.command("inside").removeprefix("INSIDE "))
                        inside[k] += took[warmup // 2 :]  # the warm-ups alternate too
                result = pooled(rounds) | {"inside": inside}
                if reloading:
                    reply = demarc.command("reload off")
                    result["reloads"] = json.loads(reply.removeprefix("RELOADS "))
                results[scenario] = result
        finally:
            bare.stop()
            demarc.stop()
    summary: dict[str, Any] = {}
    for scenario, result in results.items():
        bare_ms, demarc_ms = result["latencies"]
        print(f"-- {scenario}: {result['failed']} failed"
              + (f", e.g. {result['failures']}" if result["failed"] else ""))
        print(f"   bare    {summary_ms(bare_ms)}")
        print(f"   demarc  {summary_ms(demarc_ms)}")
        row = {app: {q: percentile(xs, q) * 1000 for q in (50, 95, 99)}
               for app, xs in (("bare", bare_ms), ("demarc", demarc_ms))}
        ratios = {q: row["demarc"][q] / row["bare"][q] for q in (50, 99)}
        print(f"   demarc / bare: p50 {ratios[50]:.2f}×, p99 {ratios[99]:.2f}×")
        row["inside"] = {app: {q: percentile(xs, q) * 1000 for q in (50, 99)}
                         for app, xs in zip(("bare", "demarc"), result["inside"], strict=True)}
        print("   inside the app (its WSGI call; the rest is HTTP, queues, the machine): "
              + "; ".join(f"{app} p50 {ms[50]:.2f} · p99 {ms[99]:.2f} ms"
                          for app, ms in row["inside"].items()))
        if len(result["rounds"]) > 1:
            by_round = {app: [percentile(r[k], 99) * 1000 for r in result["rounds"]]
                        for k, app in enumerate(("bare", "demarc"))}
            for app, p99s in by_round.items():
                print(f"   {app:7s} p99 by round: {' · '.join(f'{x:.1f}' for x in p99s)} ms")
            row["p99_by_round"] = by_round
        if "reloads" in result:
            took = result["reloads"]
            print(f"   {len(took)} reloads meanwhile, each {summary_ms(took)}")
            row["reloads"] = len(took)
        summary[scenario] = row | {"p50_ratio": ratios[50], "p99_ratio": ratios[99]}
    known_p99 = summary["known"]["demarc"][99]
    verdicts.check(f"known: p99 ratio ≤ 1.3 ({summary['known']['p99_ratio']:.2f}×)",
                   summary["known"]["p99_ratio"] <= 1.3)
    verdicts.check(f"known: demarc p99 under 100 ms ({known_p99:.1f} ms)", known_p99 < 100)
    if "unknown" in summary:
        unknown_p99 = summary["unknown"]["demarc"][99]
        bare_unknown = summary["unknown"]["bare"][99]
        verdicts.check(f"unknown words: demarc p99 under 50 ms ({unknown_p99:.1f} ms; the bare "
                       f"app's {bare_unknown:.1f} ms, {summary['unknown']['p99_ratio']:.2f}×)",
                       unknown_p99 < 50)
    if "reload" in summary:
        during = summary["reload"]["demarc"][99]
        verdicts.check(f"one-file reloads: demarc p99 ≤ 2× its p99 at rest ({during:.1f} ms vs "
                       f"{known_p99:.1f} ms: {during / known_p99:.2f}×)",
                       during <= 2 * known_p99)
    if "full" in summary:
        full = summary["full"]["demarc"][99]
        verdicts.check(f"full reloads (no target): demarc p99 {full:.1f} ms, "
                       f"{full / known_p99:.2f}× at rest", None)
    verdicts.check("every request answered 200 with the asset or the word",
                   not any(r["failed"] for r in results.values()))
    print("RESULTS " + json.dumps({"assets": args.assets, "rate": args.rate,
                                   "seconds": args.seconds, "ms": summary,
                                   "loadavg": load_avg}))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
