"""Pull requests on a GitHub repository through its REST API (httpx), idempotent on retry.

One branch per request (`demarc/request-<id>`): an open or closed pull request from it is
found and returned before anything is created; an existing branch or file is updated.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import httpx

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")


class GitHostError(Exception):
    """The Git host refused or could not be reached; the message says which call and why."""


@dataclass(frozen=True, slots=True)
class PullRequest:
    url: str
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Change:
    branch: str
    path: str
    text: str
    title: str
    body: str
    message: str


class GitHub:
    def __init__(self, api_url: str, repository: str, token: str | None, base: str = "main",
                 *, timeout: float = 20.0) -> None:
        if not REPOSITORY.match(repository):
            raise GitHostError(f"DEMARC_GIT_REPOSITORY must be owner/name, not {repository!r}")
        self.base, self.timeout = base, timeout
        self.http: httpx.Client | None = None
        self.root = f"{api_url.rstrip('/')}/repos/{repository}"
        self.owner = repository.split("/")[0]
        self.headers = {"Accept": "application/vnd.github+json",
                        "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kw: object) -> httpx.Response:
        try:
            assert self.http is not None
            response = self.http.request(
                method, self.root + path, headers=self.headers, **kw  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise GitHostError(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 400 and response.status_code not in (404, 422):
            raise GitHostError(f"{method} {path}: HTTP {response.status_code}")
        return response

    def open_pull_request(self, change: Change) -> PullRequest:
        """The pull request of `change.branch`, made unless one exists (a client per call:
        requests are accepted a few times a day)."""
        with httpx.Client(timeout=self.timeout) as self.http:
            return self._open(change)

    def _open(self, change: Change) -> PullRequest:
        found = self._call("GET", "/pulls", params={"head": f"{self.owner}:{change.branch}",
                                                    "state": "all"})
        if found.status_code == 200 and found.json():
            return self._pull(found.json()[0])
        base = self._call("GET", f"/git/ref/heads/{self.base}")
        if base.status_code != 200:
            raise GitHostError(f"the base branch {self.base!r} is not in the repository")
        sha = base.json()["object"]["sha"]
        made = self._call("POST", "/git/refs", json={"ref": f"refs/heads/{change.branch}",
                                                     "sha": sha})
        if made.status_code not in (201, 422):  # 422: there from an earlier try, reused
            raise GitHostError(f"POST /git/refs: HTTP {made.status_code}")
        existing = self._call("GET", f"/contents/{change.path}", params={"ref": change.branch})
        content = {"message": change.message, "branch": change.branch,
                   "content": base64.b64encode(change.text.encode()).decode()}
        if existing.status_code == 200:
            content["sha"] = existing.json()["sha"]
        put = self._call("PUT", f"/contents/{change.path}", json=content)
        if put.status_code >= 400:
            raise GitHostError(f"PUT /contents/{change.path}: HTTP {put.status_code}")
        pull = self._call("POST", "/pulls", json={"title": change.title, "head": change.branch,
                                                  "base": self.base, "body": change.body})
        if pull.status_code == 422:  # made meanwhile (a retry racing another): find it
            again = self._call("GET", "/pulls", params={"head": f"{self.owner}:{change.branch}",
                                                        "state": "all"})
            if again.status_code == 200 and again.json():
                return self._pull(again.json()[0])
        if pull.status_code >= 400:
            raise GitHostError(f"POST /pulls: HTTP {pull.status_code}")
        return self._pull(pull.json())

    @staticmethod
    def _pull(data: dict[str, object]) -> PullRequest:
        number = data.get("number")
        return PullRequest(str(data.get("html_url", "")),
                           number if isinstance(number, int) else None)
