"""Work in a forked child process, where one step of a run would leave the second core idle
(``architecture.md``: fast by design, machinery only with a measured gain).

The child is forked: it reads the parent's memory as it is at that moment, so nothing is pickled
on the way in; only its error, if any, comes back. Fork only where no other thread of the process
is at work (no DuckDB connection open, no thread pool running).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def start_forked(work: Callable[[], None]) -> Callable[[], None]:
    """Start ``work()`` in a forked child process and return ``wait``: it waits for the child
    and raises the error ``work`` raised (an ``OSError`` of a full disk, ...), if any."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            work()
        except BaseException as error:  # sent to the parent, which raises it
            sender.send(error)
        else:
            sender.send(None)

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()

    def wait() -> None:
        try:
            outcome = receiver.recv()
        except EOFError:
            outcome = None
        finally:
            process.join()
            receiver.close()
        if outcome is None and process.exitcode != 0:
            outcome = RuntimeError(
                f"a child process of itpcohort ended without a result (exit status "
                f"{process.exitcode})"
            )
        if outcome is not None:
            raise outcome

    return wait


@contextmanager
def forked(work: Callable[[], None]) -> Iterator[None]:
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
