"""A reload gives way to requests in progress, within a budget; the answering thread is free."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.registry.gate import AnswerGate
from bot.registry.holder import RegistryHolder
from ownership.loader import load_registry
from tests.conftest import EXAMPLE_REGISTRY


@contextmanager
def answering_elsewhere(gate: AnswerGate) -> Iterator[threading.Event]:
    """Another thread in `gate.answering()` until the yielded event is set."""
    inside, leave = threading.Event(), threading.Event()

    def answer() -> None:
        with gate.answering():
            inside.set()
            leave.wait(30)

    thread = threading.Thread(target=answer)
    thread.start()
    assert inside.wait(10)
    try:
        yield leave
    finally:
        leave.set()
        thread.join(10)


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    return thread, out


def test_a_pause_waits_while_another_thread_answers_and_resumes_after() -> None:
    gate = AnswerGate(slack=60)
    with answering_elsewhere(gate) as leave:
        assert gate.busy() == 1
        reload, _ = in_thread(lambda: gate.pacer()())
        assert gate.await_pause(10)
        assert reload.is_alive()  # gave way: still waiting
        leave.set()
        reload.join(10)
        assert not reload.is_alive()
    assert gate.pauses == 1
    assert gate.waiting == 0
    assert gate.busy() == 0


def test_no_pause_when_nobody_answers_or_only_the_reloading_thread_does() -> None:
    gate = AnswerGate(slack=60)
    gate.pacer()()  # nobody answering
    with gate.answering():  # `/demarc reload` answered on this very thread
        gate.pacer()()
    assert gate.pauses == 0


def test_the_budget_bounds_the_pauses_of_a_reload_under_constant_load() -> None:
    now = [0.0]
    gate = AnswerGate(slack=0.0, clock=lambda: now[0])
    with answering_elsewhere(gate):
        pause = gate.pacer()
        pause()  # has not run at all yet: no allowance, no wait
        assert gate.pauses == 0
        now[0] = 0.000_001  # has run a microsecond: may wait a microsecond, then goes on
        pause()
        assert gate.pauses == 1
        assert gate.busy() == 1  # it went on while the other thread still answers


def test_a_reload_gives_way_and_gives_the_same_registry(tmp_path: Path) -> None:
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))
    holder = RegistryHolder.from_path(root, loader=load_registry)
    holder.gate = AnswerGate(slack=60)
    with answering_elsewhere(holder.gate) as leave:
        reload, problems = in_thread(holder.reload)
        assert holder.gate.await_pause(10)
        leave.set()
        reload.join(30)
    assert problems == [load_registry(root).problems]
    assert holder.registry == load_registry(root).registry
