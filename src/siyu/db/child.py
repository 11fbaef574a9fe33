"""Running a piece of work in a forked child process and getting its result back."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


def in_child_process(work: Callable[[], T], *, name: str = "reading") -> T:
    """Run `work` in a forked child and return its result or raise its exception here."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def run() -> None:
        try:
            outcome: tuple[bool, Any] = (True, work())
        except BaseException as exc:  # everything goes back to the parent
            outcome = (False, exc)
        try:
            send.send(outcome)
        except Exception as unpicklable:  # an exception that cannot cross the pipe
            send.send((False, RuntimeError(f"{outcome[1]!r} ({unpicklable})")))

    child = context.Process(target=run, name=f"siyu-{name}")
    child.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"the {name} process died (exit code {child.exitcode})") from None
    child.join()
    if not ok:
        raise value
    return cast(T, value)
