"""B2 slash latency: signed `/whoowns <asset>` at a fixed rate, demarc vs a bare Bolt app.

Both apps run in their own process behind the same server setup
(`bot.slack.http_server.make_server`: waitress, the same router and thread count), with a fake
Slack Web API on loopback for Bolt's auth.test. A separate load-generator process sends signed
requests (Slack's v0 HMAC scheme, as tests/fakes/signing.py) on a fixed schedule, 50 per second
for 30 s, half by asset id and half by alias, picked at random from a 50,000-asset registry,
and records each request's latency. The bare app acks a static text; demarc answers from the
registry. Target: demarc's p99 ≤ 1.3× the bare app's, and under 100 ms.

    .venv/bin/python -m bench.b2_slash            # 50,000 assets, 50 req/s for 30 s each
    .venv/bin/python -m bench.b2_slash --tiny     # 500 assets, 20 req/s for 2 s (CI)
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

from bench.common import PYTHON, REPO, Verdicts, parser, percentile, print_header, summary_ms

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"


# ---------------------------------------------------------------------- the server process
def serve(kind: str, registry: str) -> int:
    """Run one app behind bot.slack.http_server.make_server; print its port, serve until killed."""
    import logging

    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.slack.http_server import make_server
    from bot.slack.web import WebApp
    from tests.fakes.fake_slack import FakeSlack

    logging.disable(logging.WARNING)
    with FakeSlack() as slack:
        if kind == "bare":
            app = App(
                name="bare",
                client=WebClient(token=TOKEN, base_url=slack.base_url),
                signing_secret=SECRET,
                token_verification_enabled=False,
            )

            @app.command("/whoowns")
            def whoowns(ack):  # type: ignore[no-untyped-def]
                ack(response_type="ephemeral", text="static answer")

        else:
            from bot.registry.holder import RegistryHolder
            from bot.settings import Settings
            from bot.slack.app import create_app

            settings = Settings.from_env({
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "DEMARC_REGISTRY": registry,
                "DEMARC_SLACK_API_URL": slack.base_url,
            })
            holder = RegistryHolder.from_path(settings.registry_path)
            app = create_app(settings, holder)
        server = make_server(WebApp(app, signing_secret=SECRET))
        print(f"PORT {server.effective_port}", flush=True)  # type: ignore[union-attr]
        server.run()
    return 0


# ---------------------------------------------------------------------- the load generator
def load(url: str, queries: list[str], rate: float, seconds: float, warmup: int) -> int:
    """Send signed /whoowns requests on a fixed schedule; print latencies (s) as JSON."""
    import httpx

    from tests.fakes.signing import command_body, signed_headers

    total = int(rate * seconds)
    rng = random.Random(11)
    picks = [rng.choice(queries) for _ in range(total + warmup)]
    latencies: list[float | None] = [None] * total
    failures: list[str] = []
    lock = threading.Lock()

    def send(client: httpx.Client, text: str) -> float:
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
        for text in picks[:warmup]:
            send(client, text)
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
                latencies[i] = send(client, picks[warmup + i])

    workers = [threading.Thread(target=worker) for _ in range(16)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - t0
    print(json.dumps({"latencies": [x for x in latencies if x is not None],
                      "failures": failures[:5], "failed": len(failures), "wall": wall}))
    return 0


# ---------------------------------------------------------------------- orchestration
def measure(kind: str, registry: Path, queries_file: Path, rate: float, seconds: float,
            warmup: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [PYTHON, "-m", "bench.b2_slash", "serve", kind, str(registry)],
        stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the {kind} server did not start: {line!r}")
        url = f"http://127.0.0.1:{int(line.split()[1])}/slack/events"
        done = subprocess.run(
            [PYTHON, "-m", "bench.b2_slash", "load", url, str(queries_file), str(rate),
             str(seconds), str(warmup)],
            capture_output=True, text=True, env=env, cwd=REPO, check=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return serve(argv[1], argv[2])
    if argv[:1] == ["load"]:
        queries = json.loads(Path(argv[2]).read_text())
        return load(argv[1], queries, float(argv[3]), float(argv[4]), int(argv[5]))
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--assets", type=int, default=50_000)
    p.add_argument("--rate", type=float, default=50.0, help="requests per second")
    p.add_argument("--seconds", type=float, default=30.0)
    args = p.parse_args(argv)
    warmup = 50
    if args.tiny:
        args.assets, args.rate, args.seconds, warmup = 500, 20.0, 2.0, 5
    from bench.b3_registry import alias_of, asset_id, generate

    print_header("B2 slash latency: demarc vs bare Bolt app, same waitress setup",
                 ["demarc", "slack_bolt", "slack_sdk", "waitress", "httpx"])
    verdicts = Verdicts()
    with tempfile.TemporaryDirectory(prefix="demarc-b2-") as tmp:
        root = Path(tmp) / "registry"
        generate(root, args.assets, max(1, args.assets // 10))
        queries = [f(i) for i in range(args.assets) for f in (asset_id, alias_of)]
        queries_file = Path(tmp) / "queries.json"
        queries_file.write_text(json.dumps(queries))
        print(f"-- {args.assets} assets; {args.rate:g} req/s for {args.seconds:g} s "
              "per app, by id and alias")
        results = {kind: measure(kind, root, queries_file, args.rate, args.seconds, warmup)
                   for kind in ("bare", "demarc")}
    p99 = {}
    for kind, result in results.items():
        samples = result["latencies"]
        assert isinstance(samples, list)
        p99[kind] = percentile(samples, 99)
        print(f"   {kind:7} {summary_ms(samples)}; {result['failed']} failed")
        if result["failed"]:
            print(f"      e.g. {result['failures']}")
    ratio = p99["demarc"] / p99["bare"] if p99["bare"] > 0 else float("inf")
    print(f"   p99 demarc / bare = {ratio:.2f}×  (target ≤ 1.3×)")
    verdicts.check(f"p99 ratio ≤ 1.3 ({ratio:.2f}×)", ratio <= 1.3)
    verdicts.check(f"demarc p99 under 100 ms ({p99['demarc'] * 1000:.1f} ms)",
                   p99["demarc"] < 0.1)
    verdicts.check("every request answered 200 with the asset",
                   not any(r["failed"] for r in results.values()))
    summary = {
        kind: {q: percentile(r["latencies"], q) * 1000 for q in (50, 95, 99)}  # type: ignore[arg-type]
        for kind, r in results.items()
    }
    print("RESULTS " + json.dumps({"assets": args.assets, "rate": args.rate,
                                   "seconds": args.seconds, "ms": summary, "p99_ratio": ratio}))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
