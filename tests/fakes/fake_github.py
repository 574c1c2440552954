"""A fake GitHub REST API on 127.0.0.1 (port 0): refs, contents and pulls in GitHub's shapes.

Holds one repository's branches as {branch: {path: text}}; records every request.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Repo:
    owner: str = "acme"
    name: str = "registry"
    branches: dict[str, dict[str, str]] = field(default_factory=lambda: {"main": {}})
    pulls: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


class FakeGitHub:
    def __init__(self) -> None:
        self.repo = Repo()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                parts = urlsplit(self.path)
                with fake.lock:
                    fake.repo.calls.append(Call(self.command, parts.path, dict(self.headers), body))
                    status, answer = fake.route(self.command, parts.path,
                                                parse_qs(parts.query), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

        return Handler

    def route(self, method: str, path: str, query: dict[str, list[str]],
              body: Any) -> tuple[int, Any]:
        r = self.repo
        prefix = f"/repos/{r.owner}/{r.name}"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}
        path = path[len(prefix):]
        if method == "GET" and (m := re.fullmatch(r"/git/ref/heads/(.+)", path)):
            if m.group(1) not in r.branches:
                return 404, {"message": "Not Found"}
            return 200, {"ref": f"refs/heads/{m.group(1)}", "object": {"sha": "a" * 40,
                                                                      "type": "commit"}}
        if method == "POST" and path == "/git/refs":
            branch = body["ref"].removeprefix("refs/heads/")
            if branch in r.branches:
                return 422, {"message": "Reference already exists"}
            r.branches[branch] = dict(r.branches["main"])
            return 201, {"ref": body["ref"], "object": {"sha": body["sha"]}}
        if m := re.fullmatch(r"/contents/(.+)", path):
            branch = (query.get("ref") or [None])[0] or (body or {}).get("branch") or "main"
            files = r.branches.get(branch, {})
            if method == "GET":
                if m.group(1) not in files:
                    return 404, {"message": "Not Found"}
                return 200, {"sha": "b" * 40, "path": m.group(1)}
            if method == "PUT":
                if m.group(1) in files and "sha" not in body:
                    return 422, {"message": "sha wasn't supplied"}
                files[m.group(1)] = base64.b64decode(body["content"]).decode()
                return 201, {"content": {"path": m.group(1)}, "commit": {"sha": "c" * 40}}
        if path == "/pulls" and method == "GET":
            head = (query.get("head") or [""])[0].split(":")[-1]
            return 200, [p for p in r.pulls if p["head"]["ref"] == head]
        if path == "/pulls" and method == "POST":
            if any(p["head"]["ref"] == body["head"] for p in r.pulls):
                return 422, {"message": "A pull request already exists"}
            number = len(r.pulls) + 1
            pull = {"number": number, "html_url": f"https://github.test/{r.owner}/{r.name}/pull/"
                    f"{number}", "title": body["title"], "body": body["body"],
                    "head": {"ref": body["head"]}, "base": {"ref": body["base"]},
                    "state": "open"}
            r.pulls.append(pull)
            return 201, pull
        return 404, {"message": "Not Found"}
