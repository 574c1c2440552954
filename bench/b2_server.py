"""B2's server process: demarc, or a bare Bolt app, behind the same waitress setup.

Run by bench/b2_slash.py as `python -m bench.b2_slash serve KIND REGISTRY`; prints its port,
then serves until killed, reading commands on stdin (`control`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any


def serve(kind: str, registry: str, secret: str, token: str) -> int:
    """Run one app behind bot.slack.http_server.make_server; print its port, serve until killed.

    Both read `inside` on stdin (the app's own time per request since the last `inside`);
    demarc's process also reads `reload one`, `reload all` and `reload off`: reload back to
    back (one file changed each time, or every file) until told to stop.
    """
    import logging

    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.slack.http_server import make_server
    from bot.slack.web import WebApp
    from tests.fakes.fake_slack import FakeSlack

    logging.disable(logging.WARNING)
    holder: Any = None
    with FakeSlack() as slack:
        if kind == "bare":
            app = App(
                name="bare",
                client=WebClient(token=token, base_url=slack.base_url),
                signing_secret=secret,
                token_verification_enabled=False,
                process_before_response=True,  # as demarc's: no 10 ms ack polling
            )

            @app.command("/whoowns")
            def whoowns(ack):  # type: ignore[no-untyped-def]
                ack(response_type="ephemeral", text="static answer")

        else:
            from bot.registry.holder import RegistryHolder
            from bot.settings import Settings
            from bot.slack.app import create_app

            settings = Settings.from_env(
                {
                    "SLACK_BOT_TOKEN": token,
                    "SLACK_SIGNING_SECRET": secret,
                    "DEMARC_REGISTRY": registry,
                    "DEMARC_SLACK_API_URL": slack.base_url,
                }
            )
            holder = RegistryHolder.from_path(settings.registry_path)
            app = create_app(settings, holder)
        # demarc's as `demarc serve` builds it: a reload gives way to answers in progress
        web = WebApp(app, signing_secret=secret, gate=holder.gate if holder else None)
        inside = Inside(web)
        threading.Thread(target=control, args=(inside, holder, Path(registry)), daemon=True).start()
        server = make_server(inside)
        print(f"PORT {server.effective_port}", flush=True)  # type: ignore[union-attr]
        server.run()
    return 0


class Inside:
    """The app's WSGI call, timed: how much of a request is the app's own code."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.took: list[float] = []

    def __call__(self, environ: Any, start_response: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.app(environ, start_response)
        finally:
            self.took.append(time.perf_counter() - start)


def control(inside: Inside, holder: Any, root: Path) -> None:
    """Commands from stdin: `inside` prints the app's WSGI-call times since the last one;
    demarc's process also reloads on command and reports each reload's seconds."""
    file = sorted((root / "assets").glob("*.yaml"))[0] if holder is not None else root
    original = file.read_text() if holder is not None else ""
    running = threading.Event()
    took: list[float] = []

    def loop(every_file: bool) -> None:
        i = 0
        while running.is_set():
            i += 1
            file.write_text(original.replace("Generated asset", f"Edited ({i}) asset", 1))
            if every_file:
                holder.cache.files.clear()
            start = time.perf_counter()
            holder.reload()
            took.append(time.perf_counter() - start)
            time.sleep(0.01)

    worker: threading.Thread | None = None
    for line in sys.stdin:
        command = line.strip()
        if command == "inside":
            times, inside.took = inside.took, []  # not `took`: the reload loop's list
            print("INSIDE " + json.dumps(times), flush=True)
        elif holder is None:
            print("NO", flush=True)
        elif command in ("reload one", "reload all"):
            running.set()
            worker = threading.Thread(target=loop, args=(command == "reload all",))
            worker.start()
            print("OK", flush=True)
        elif command == "reload off":
            running.clear()
            if worker is not None:
                worker.join()
            print("RELOADS " + json.dumps(took), flush=True)
            took.clear()
            file.write_text(original)
