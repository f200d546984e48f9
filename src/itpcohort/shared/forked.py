"""Work in a forked child process, where one step of a run would leave the second core idle
(``architecture.md``: fast by design, machinery only with a measured gain).

The child is forked: it reads the parent's memory as it is at that moment, so nothing is pickled
on the way in; only its result or its error comes back. Fork only where no other thread of the process
is at work (no DuckDB connection open, no thread pool running).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

_Result = TypeVar("_Result")


def start_forked(work: Callable[[], _Result]) -> Callable[[], _Result]:
    """Start ``work()`` in a forked child process and return ``wait``: it waits for the child
    and returns what ``work`` returned (pickled back: keep it small), or raises the error
    ``work`` raised (an ``OSError`` of a full disk, ...). Calling ``wait`` again gives the same
    value or the same error without waiting."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            result = work()
        except BaseException as error:  # sent to the parent, which raises it
            sender.send((False, error))
        else:
            sender.send((True, result))

    # not a daemon: the work may fork a child of its own (the swimmer pages are drawn on two
    # processes); ``wait`` always joins it
    process = context.Process(target=child, daemon=False)
    process.start()
    sender.close()
    outcomes: list[tuple[bool, object]] = []  # the child's, once received

    def wait() -> _Result:
        if not outcomes:
            outcome: tuple[bool, object] | None = None
            try:
                outcome = receiver.recv()
            except EOFError:
                pass
            finally:
                process.join()
                receiver.close()
            if outcome is None:
                outcome = (
                    False,
                    RuntimeError(
                        f"a child process of itpcohort ended without a result (exit status "
                        f"{process.exitcode})"
                    ),
                )
            outcomes.append(outcome)
        done, value = outcomes[0]
        if not done:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]

    return wait


@contextmanager
def forked(work: Callable[[], object]) -> Iterator[None]:
    """Run ``work()`` in a forked child process while the block runs; leaving the block waits
    for the child and raises its error (the block's own error first, if it raised)."""
    wait = start_forked(work)
    try:
        yield
    except BaseException:
        with contextlib.suppress(BaseException):
            wait()
        raise
    wait()
