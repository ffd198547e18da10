"""One writer at a time per song folder: an advisory lock (``fcntl.flock``) on the folder itself.

Every command that reads a song folder and writes it back (render, regen, edit,
import, mix, checkout, timbre) holds the lock from the read to the commit, so two
of them on one folder run one after the other and neither edit is lost. The lock
goes with the process: a killed run holds nothing. Whoever takes the lock first
finishes or clears a write that a killed run left (``on_first_hold``: :func:`lemm.project.commit.recover_locked`,
which :func:`lemm.project.commit.locked_song_folder` and :func:`lemm.project.commit.locks_song_folder` pass).
The lock is taken on the folder (opened read-only), so taking it writes nothing:
a command that is refused leaves no trace, and a read-only folder can be locked.

A thread that holds the lock may take it again (nested ``with`` blocks); another
thread or process waits, up to :data:`LOCK_WAIT_SECONDS`, then gets an
:class:`~lemm.errors.OutputPathError`.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> with song_folder_lock(d):
...     with song_folder_lock(d):  # the same thread: no wait
...         held_here(d)
True
>>> held_here(d)
False
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from lemm.errors import OutputPathError

__all__ = ["song_folder_lock", "held_here", "FolderBusyError", "LOCK_WAIT_SECONDS", "META_FOLDER"]

log = logging.getLogger(__name__)

#: lemm's own bookkeeping inside a song folder (manifest, journal, staging).
META_FOLDER = ".lemm"

#: How long a command waits for another one writing the same folder before giving up.
LOCK_WAIT_SECONDS = 1800.0
_POLL_SECONDS = 0.05

_guard = threading.Lock()
_held: dict[tuple[str, int], list[int]] = {}  # (real folder path, thread id) -> [fd, depth]


class FolderBusyError(OutputPathError):
    """Another lemm command holds the song folder's lock."""


def _key(folder: Path) -> tuple[str, int]:
    return os.path.realpath(folder), threading.get_ident()


def held_here(folder: str | os.PathLike) -> bool:
    """Whether the calling thread holds the lock of ``folder``."""
    with _guard:
        return _key(Path(folder)) in _held


def _open_folder(folder: Path) -> int | None:
    """A read-only fd of ``folder`` to flock, or None if it is not an existing folder."""
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None


def _acquire(folder: Path, *, wait_seconds: float) -> int | None:
    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        fd = _open_folder(folder)
        if fd is None:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise FolderBusyError(
                    f"song folder {str(folder)!r} is being written by another lemm command (waited {wait_seconds:g} s); "
                    "run this again when it is done"
                ) from None
            if not told:
                log.warning("waiting for another lemm command to finish writing %s", folder)
                told = True
            time.sleep(_POLL_SECONDS)
            continue
        except OSError as err:  # a file system without flock (some network mounts): go on unlocked, and say so
            os.close(fd)
            log.warning("cannot lock %s (%s): two lemm commands writing it at once could lose an edit", folder, err.strerror)
            return None
        try:  # the folder may have been removed and made again while we waited: lock the current one
            same = os.path.samestat(os.fstat(fd), os.stat(folder))
        except OSError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def song_folder_lock(
    folder: str | os.PathLike, *, wait_seconds: float | None = None, on_first_hold: Callable[[Path], None] | None = None
) -> Iterator[None]:
    """Hold the write lock of the song folder ``folder`` for the ``with`` block.

    Parameters
    ----------
    folder : path
        A song folder. A path that is not an existing folder is not locked (there is nothing to write into).
    wait_seconds : float, optional
        How long to wait for another holder; default :data:`LOCK_WAIT_SECONDS`.
    on_first_hold : callable, optional
        Called with the folder once the lock is taken, when this thread did not hold it already
        (:func:`lemm.project.commit.recover_locked`: a write a killed run left is finished first).

    Raises
    ------
    FolderBusyError
        Another process (or thread) kept the lock for longer than ``wait_seconds``.
    OutputPathError
        From ``on_first_hold``: a write that a killed run left could not be finished (e.g. the folder is now read-only).
    """
    path = Path(folder)
    key = _key(path)
    with _guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield
        finally:
            with _guard:
                entry[1] -= 1
        return
    fd = _acquire(path, wait_seconds=LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds)
    if fd is None:
        yield
        return
    with _guard:
        _held[key] = [fd, 1]
    try:
        if on_first_hold is not None:
            on_first_hold(path)
        yield
    finally:
        with _guard:
            del _held[key]
        os.close(fd)  # closing the only fd releases the flock
