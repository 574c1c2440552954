"""The waitress server: the port bound before anything else starts, and health kept apart.

Waitress reads and parses every request on one I/O thread, then queues it for a pool of
worker threads. `RoutingDispatcher` gives `/healthz` and `/metrics` a pool of their own, so
no amount of Slack traffic (nor a handler stuck on a slow database) can make the load
balancer's health check wait in the same queue.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

from bot.slack.web import HEALTH_PATH, METRICS_PATH, WebApp

if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer, MultiSocketServer

THREADS = 8  # Slack's requests
SIDE_THREADS = 2  # /healthz and /metrics
SIDE_PATHS = frozenset({HEALTH_PATH, METRICS_PATH})


class PortInUse(Exception):
    """The configured port could not be bound; the message is one line."""


def bind(host: str, port: int) -> socket.socket:
    """Bind and listen now, so a port in use is found before anything else starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


class RoutingDispatcher(ThreadedTaskDispatcher):
    """Two waitress task pools: one for health and metrics, one for everything else.

    A subclass only to be accepted where waitress wants its dispatcher; its own queue and
    threads stay unused.
    """

    def __init__(self, threads: int = THREADS, side_threads: int = SIDE_THREADS) -> None:
        super().__init__()
        self.main = ThreadedTaskDispatcher()
        self.main.set_thread_count(threads)
        self.side = ThreadedTaskDispatcher()
        self.side.set_thread_count(side_threads)

    def add_task(self, task: Any) -> None:
        self._pool_for(task).add_task(task)

    def _pool_for(self, task: Any) -> ThreadedTaskDispatcher:
        # The task is waitress's channel; its first queued request is the one to be served.
        requests = getattr(task, "requests", None) or [None]
        path = getattr(requests[0], "path", None)
        return self.side if path in SIDE_PATHS else self.main

    def set_thread_count(self, count: int) -> None:
        self.main.set_thread_count(count)

    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
        main = self.main.shutdown(cancel_pending, timeout)
        side = self.side.shutdown(cancel_pending, timeout)
        return bool(main or side)


def make_server(
    web: WebApp, sock: socket.socket | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server on `sock` (from `bind`) or a new socket on host:port, not yet
    running: call `.run()` (blocks) and later `.close()`."""
    sock = sock or bind(host, port)
    return create_server(
        web,
        _dispatcher=RoutingDispatcher(),
        sockets=[sock],
        threads=THREADS,
    )
