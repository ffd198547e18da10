"""What lemm says while it works: Python ``logging`` under the ``lemm`` logger, and a progress bar.

The library never prints. Stage lines ("render ...", "render done in 3.1 s") go to the
``lemm`` logger at INFO; the steps inside a long stage go through :func:`report_step`
(INFO records on ``lemm.progress`` carrying ``done`` and ``total``). Nothing is shown
unless the application configures logging: the ``lemm`` command does, with
:func:`configure_cli_logging` (``--quiet``: warnings and errors only; ``-v``: debug too).
A terminal on stderr shows the steps as one redrawn bar line; elsewhere (a pipe, a log
file, CI) only the stage lines appear.

Examples
--------
>>> import io, logging
>>> stream = io.StringIO()
>>> handler = configure_cli_logging(verbosity=0, stream=stream)
>>> log_progress("render ...")
>>> for i in range(3):
...     report_step("render", i + 1, 3)
>>> stream.getvalue()   # not a terminal: no bar
'lemm: render ...\\n'
>>> logging.getLogger("lemm").removeHandler(handler)
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["BarHandler", "Progress", "StageTimer", "configure_cli_logging", "log_progress", "logger", "report_step"]

#: The logger every lemm module writes to (``logging.getLogger("lemm")``).
logger = logging.getLogger("lemm")
_steps = logging.getLogger("lemm.progress")
_stages = logging.getLogger("lemm.pipeline")  # stage lines without a progress callable (debug level)

#: A progress callable: takes one stage line, e.g. ``"render ..."``.
Progress = Callable[[str], None]


def log_progress(message: str) -> None:
    """Log a stage line (INFO on ``lemm``); a :data:`Progress` callable."""
    logger.info(message)


def report_step(label: str, done: int, total: int) -> None:
    """Report that ``done`` of ``total`` steps of the stage ``label`` are finished (drawn as a bar on a terminal)."""
    if _steps.isEnabledFor(logging.INFO):
        _steps.info("%s %d/%d", label, done, total, extra={"lemm_done": int(done), "lemm_total": int(total), "lemm_label": label})


class BarHandler(logging.StreamHandler):
    """Writes ``lemm: MESSAGE`` lines. On a terminal, a stage line ending in ``...`` keeps ticking its elapsed
    seconds until the next line, and step records (:func:`report_step`) draw one redrawn bar; elsewhere steps
    and ticks write nothing, so logs and pipes get plain lines only."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 30, tick_seconds: float = 1.0) -> None:
        self._fixed_stream = stream
        super().__init__(stream)
        self.width = width
        self.tick_seconds = tick_seconds
        self.is_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self._open_line = False  # a bar or a ticking stage line waits for its newline
        self._ticker: tuple[threading.Thread, threading.Event] | None = None
        self.setFormatter(logging.Formatter("lemm: %(message)s"))

    @property
    def stream(self) -> TextIO:
        """The stream given, else whatever ``sys.stderr`` is at the time of writing (it may be replaced after set-up)."""
        return self._fixed_stream if self._fixed_stream is not None else sys.stderr

    @stream.setter
    def stream(self, value: TextIO | None) -> None:
        self._fixed_stream = None if value is sys.stderr else value

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            thread, stop = self._ticker
            self._ticker = None
            stop.set()
            if thread is not threading.current_thread():
                self.release()  # the ticker takes the lock to write: let it finish its last write
                try:
                    thread.join()
                finally:
                    self.acquire()

    def _tick(self, text: str, stop: threading.Event) -> None:
        start = time.monotonic()
        while not stop.wait(self.tick_seconds):
            with self.lock:
                if stop.is_set():
                    return
                self.stream.write(f"\r{text} {time.monotonic() - start:.0f} s")
                self.flush()

    def _end_line(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False

    def emit(self, record: logging.LogRecord) -> None:
        total = getattr(record, "lemm_total", None)
        self._stop_ticker()
        if total is None:
            self._end_line()
            text = self.format(record)
            if self.is_terminal and text.endswith("..."):
                self.stream.write(text)
                self.flush()
                self._open_line = True
                stop = threading.Event()
                thread = threading.Thread(target=self._tick, args=(text, stop), daemon=True)
                self._ticker = (thread, stop)
                thread.start()
                return
            self.stream.write(text + "\n")
            self.flush()
            return
        if not self.is_terminal or total <= 0:
            return
        done = min(int(record.lemm_done), int(total))
        filled = round(self.width * done / total)
        self.stream.write(f"\r\x1b[2Klemm: {record.lemm_label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}")
        self._open_line = True
        if done >= total:
            self._end_line()
        self.flush()

    def close(self) -> None:
        with self.lock:
            self._stop_ticker()
            self._end_line()
        super().close()


def configure_cli_logging(*, verbosity: int = 0, stream: TextIO | None = None) -> logging.Handler:
    """Send the ``lemm`` logger to ``stream`` (default stderr): ``verbosity`` -1 = warnings only, 0 = info, 1+ = debug.

    Replaces a handler installed by an earlier call (``main`` may run many times in one process).
    Returns the handler.
    """
    for old in [h for h in logger.handlers if isinstance(h, BarHandler)]:
        logger.removeHandler(old)
        old.close()
    handler = BarHandler(stream)  # None: sys.stderr as it is when each line is written
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG)
    logger.propagate = False
    return handler


@contextlib.contextmanager
def cli_logging(*, verbosity: int = 0) -> Iterator[logging.Handler]:
    """:func:`configure_cli_logging` for the length of one command; then the ``lemm`` logger is as it was.

    ``lemm.cli.main`` may run many times in one process (notebooks, tests): a command's handler,
    level and ``propagate = False`` must not outlive it, or later library log records would skip
    the caller's own logging set-up.
    """
    saved = (list(logger.handlers), logger.level, logger.propagate)
    handler = configure_cli_logging(verbosity=verbosity)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


class StageTimer:
    """Collects wall-clock seconds (``seconds``) and this process's CPU seconds (``cpu_seconds``) per named stage, and reports progress."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self._progress = progress

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the body as stage ``name`` (accumulating if repeated)."""
        (self._progress or _stages.debug)(f"{name} ...")  # no progress callable: the lemm logger, at debug level
        start, cpu_start = time.perf_counter(), time.process_time()
        yield
        took = time.perf_counter() - start
        self.seconds[name] = round(self.seconds.get(name, 0.0) + took, 3)
        self.cpu_seconds[name] = round(self.cpu_seconds.get(name, 0.0) + time.process_time() - cpu_start, 3)
        (self._progress or _stages.debug)(f"{name} done in {took:.2f} s")
