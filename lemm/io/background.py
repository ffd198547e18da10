"""Writes that run on threads beside the work that follows them, their errors surfacing as one.

A song folder's files are each final at a different stage: the dry stems and the
score files when the render ends, ``mix.wav`` and the printed files when the mix
ends, ``master.wav`` last. :class:`BackgroundWrites` lets each be written as soon
as it is final, on a thread of its own (libsndfile's encoders, numpy and the disk
run without the GIL), while the main thread goes on mixing and mastering.

Its rules:

- A write that fails sets :attr:`BackgroundWrites.stop`: writes not yet started
  are skipped, and a long write may check the event between its files.
- :meth:`BackgroundWrites.finish` waits for every write and raises the *first*
  error (in the order the writes were submitted) as it was raised, once; the
  others' are dropped (they are most often the same full disk). A
  :class:`~lemm.errors.LemmError` or an ``OSError`` (the caller's
  :func:`lemm.project.commit.song_folder_write` makes that a
  :class:`~lemm.io.atomic.WriteFailedError`) or a ``KeyboardInterrupt`` is
  raised as it is; anything else is wrapped in a :class:`BackgroundWriteError`.
- Leaving the ``with`` block on an error of the main thread sets the stop and
  waits for the writes under way (their errors dropped), so no thread writes
  into a staging folder that is being removed; no thread outlives the block.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with BackgroundWrites() as writes:
...     done = writes.submit((folder / "a.txt").write_text, "hello")
...     writes.finish()
>>> (folder / "a.txt").read_text()
'hello'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from lemm.errors import LemmError

__all__ = ["BackgroundWrites", "BackgroundWriteError"]


class BackgroundWriteError(LemmError, RuntimeError):
    """A background write failed with an error that is neither lemm's nor the system's (the cause is chained)."""


class BackgroundWrites:
    """A small pool of writer threads (see the module docstring); use as a context manager.

    Parameters
    ----------
    n_workers : int
        Writer threads (default 2: the machines lemm targets have two cores, and
        each write is mostly one encoder or one serialiser).
    """

    def __init__(self, *, n_workers: int = 2) -> None:
        self.stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="lemm-write")
        self._futures: list[Future] = []
        self._finished = False

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        """Run ``fn(*args)`` on a writer thread (skipped if a write has failed by the time it would start); returns its future.

        Raises
        ------
        Exception
            An earlier write's error (as :meth:`finish`), instead of starting more work.
        """
        self.raise_if_failed()

        def run() -> Any:
            if self.stop.is_set():
                return None
            try:
                return fn(*args)
            except BaseException:
                self.stop.set()  # the writes not yet started are skipped
                raise

        future = self._pool.submit(run)
        self._futures.append(future)
        return future

    def raise_if_failed(self) -> None:
        """Raise now (as :meth:`finish` does) if a write has already failed; else return at once."""
        if self.stop.is_set() and any(f.done() and f.exception() is not None for f in self._futures):
            self.finish()

    def finish(self) -> None:
        """Wait for every write submitted; raise the first one's error (see the module docstring)."""
        first: BaseException | None = None
        for future in self._futures:
            try:
                future.result()
            except BaseException as err:  # noqa: BLE001 - kept and raised below, once
                if first is None:
                    first = err
        self._futures = []
        if first is None:
            return
        if isinstance(first, (LemmError, OSError, KeyboardInterrupt)):
            raise first
        raise BackgroundWriteError(f"a background write failed: {type(first).__name__}: {first}") from first

    def close(self) -> None:
        """Stop the writes not yet started, wait for those under way (their errors dropped) and end the threads."""
        self.stop.set()
        for future in self._futures:
            future.cancel()
        self._pool.shutdown(wait=True)
        self._futures = []

    def __enter__(self) -> BackgroundWrites:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.finish()
            finally:
                self.close()
        else:
            self.close()
