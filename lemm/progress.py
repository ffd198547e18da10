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

import logging
import sys
from typing import TextIO

__all__ = ["logger", "log_progress", "report_step", "configure_cli_logging", "BarHandler"]

#: The logger every lemm module writes to (``logging.getLogger("lemm")``).
logger = logging.getLogger("lemm")
_steps = logging.getLogger("lemm.progress")


def log_progress(message: str) -> None:
    """Log a stage line (INFO on ``lemm``); a :data:`lemm.pipeline.Progress` callable."""
    logger.info(message)


def report_step(label: str, done: int, total: int) -> None:
    """Report that ``done`` of ``total`` steps of the stage ``label`` are finished (drawn as a bar on a terminal)."""
    if _steps.isEnabledFor(logging.INFO):
        _steps.info("%s %d/%d", label, done, total, extra={"lemm_done": int(done), "lemm_total": int(total), "lemm_label": label})


class BarHandler(logging.StreamHandler):
    """Writes ``lemm: MESSAGE`` lines; step records become one redrawn bar when the stream is a terminal, else nothing."""

    def __init__(self, stream: TextIO, *, width: int = 30) -> None:
        super().__init__(stream)
        self.width = width
        self.is_terminal = bool(getattr(stream, "isatty", lambda: False)())
        self._bar_shown = False
        self.setFormatter(logging.Formatter("lemm: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        total = getattr(record, "lemm_total", None)
        if total is None:
            if self._bar_shown:
                self.stream.write("\n")
                self._bar_shown = False
            super().emit(record)
            return
        if not self.is_terminal or total <= 0:
            return
        done = min(int(record.lemm_done), int(total))
        filled = int(round(self.width * done / total))
        self.stream.write(f"\rlemm: {record.lemm_label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}")
        self._bar_shown = done < total
        if not self._bar_shown:
            self.stream.write("\n")
        self.flush()


def configure_cli_logging(*, verbosity: int = 0, stream: TextIO | None = None) -> logging.Handler:
    """Send the ``lemm`` logger to ``stream`` (default stderr): ``verbosity`` -1 = warnings only, 0 = info, 1+ = debug.

    Replaces a handler installed by an earlier call (``main`` may run many times in one process).
    Returns the handler.
    """
    for old in [h for h in logger.handlers if isinstance(h, BarHandler)]:
        logger.removeHandler(old)
    handler = BarHandler(sys.stderr if stream is None else stream)
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG)
    logger.propagate = False
    return handler
