"""Stems kept in files, not in memory: a read-only mapping from track name to a stem mapped from its ``.npy`` file.

A song's stems (one song-length stereo float32 array per track: 80 MB per track at
3:30 and 48 kHz, 330 MB at 14 minutes) are made by the render and read by the mix,
the printed files and the song folder's write, one at a time. A :class:`StemStore`
holds each in a file of its own, so no stage holds them all at once:

- the render adds each (track, section) slice into its stem's file where it lies
  (:meth:`StemStore.add`: the same float32 sums, in the same order, as adding it
  into an array in memory), reading and writing only that span;
- ``store[name]`` maps the stem's file read-only: an ``np.ndarray [shape=(2,
  n_samples)]`` float32 that numpy, the mixer and a notebook use like any array
  (writing into it raises). The file's pages are read as they are touched, and
  leave this process's memory when the last array using the mapping is dropped;
- :meth:`StemStore.put` replaces a stem whole (an imported take), atomically.

The files lie in a folder lemm makes for the store (``lemm-stems-<random>``, in the
system's temporary folder unless ``parent`` names another: note that a RAM disk
there holds the stems in memory after all), and nothing else is ever written or
removed: each stem is ``stem-<n>.npy`` in that folder. The folder is removed when
the store is closed or garbage-collected, or at the end of the process. A folder
left behind by a killed process (its lock no longer held) is removed by the next
store made in the same parent; a folder whose lock is held, or whose name or
content is not a store's, is never touched.

Examples
--------
>>> import numpy as np
>>> store = StemStore()
>>> store.create("bass", n_samples=8)
>>> store.add("bass", 2, np.ones((2, 3), np.float32))
>>> store["bass"][0].tolist()
[0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
>>> store["bass"].flags.writeable, list(store)
(False, ['bass'])
>>> store.close()
"""

from __future__ import annotations

import functools
import io
import mmap
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from lemm.errors import ParameterError

try:  # POSIX: a store's folder is locked while in use (a killed process's lock is released by the system)
    import fcntl
except ImportError:  # pragma: no cover - Windows: left-behind folders are not pruned
    fcntl = None

__all__ = ["StemStore", "STORE_PREFIX", "BLOCK_SAMPLES"]

#: Name prefix of a store's folder.
STORE_PREFIX = "lemm-stems-"
_FOLDER_NAME = re.compile(re.escape(STORE_PREFIX) + r"[a-z0-9_]{8,}")
_FILE_NAME = re.compile(r"stem-[0-9]+\.npy(\.part)?")
_LOCK = ".lock"
_DTYPE = np.dtype("<f4")
#: Samples per block of :meth:`StemStore.add` and :meth:`StemStore.read_into` (1 MiB of float32).
BLOCK_SAMPLES = 1 << 18
#: A store folder younger than this is never taken for one left behind.
_LEFT_BEHIND_SECONDS = 60.0


class StemStore(Mapping):
    """Stems by track name, each in a ``.npy`` file of the store's own folder (see the module docstring).

    Parameters
    ----------
    parent : path, optional
        Where the store's folder is made (default: the system's temporary folder,
        :func:`tempfile.gettempdir`).

    Attributes
    ----------
    folder : Path
        The store's folder (removed by :meth:`close`).
    """

    def __init__(self, parent: str | os.PathLike | None = None) -> None:
        base = Path(tempfile.gettempdir() if parent is None else parent)
        _prune_left_behind(base)
        self.folder = Path(tempfile.mkdtemp(prefix=STORE_PREFIX, dir=base))
        lock = None
        if fcntl is not None:
            lock = open(self.folder / _LOCK, "wb")  # noqa: SIM115 - held open (and locked) for the store's life
            fcntl.flock(lock, fcntl.LOCK_EX)
        self._files: dict[str, Path] = {}
        self._shapes: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()  # stems may be made from several threads (each adds only to its own)
        self._made = 0
        self._finalizer = weakref.finalize(self, _remove, self.folder, lock)

    # -- the mapping ------------------------------------------------------------------------
    def __getitem__(self, name: str) -> np.ndarray:
        """The stem ``name`` [shape=(n_channels, n_samples)] float32, mapped read-only from its file."""
        path = self._files[name]  # KeyError for an unknown name, as a dict
        return _mapped(path, self._shapes[name])

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._files))

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def __repr__(self) -> str:
        return f"StemStore({list(self._files)!r}, folder={str(self.folder)!r})"

    def __reduce__(self) -> tuple:
        """A pickled (or copied) store is its stems as a dict of arrays: its files stay this process's."""
        return (dict, ([(name, np.array(self[name])) for name in self],))

    def shape(self, name: str) -> tuple[int, int]:
        """The shape of stem ``name`` (without mapping its file)."""
        return self._shapes[name]

    # -- writing ----------------------------------------------------------------------------
    def create(self, name: str, *, n_samples: int, n_channels: int = 2) -> None:
        """A new stem of silence [shape=(n_channels, n_samples)] float32 (its file is sparse until written)."""
        self._check_open()
        if not isinstance(name, str) or name in self._files:
            raise ParameterError.for_field("name", name, "a track name (str) not yet in the store")
        n_samples, n_channels = int(n_samples), int(n_channels)
        if n_samples < 0 or n_channels not in (1, 2):
            raise ParameterError.for_field("stem shape", (n_channels, n_samples), "(1 or 2 channels, n_samples >= 0)")
        with self._lock:
            if name in self._files:
                raise ParameterError.for_field("name", name, "a track name (str) not yet in the store")
            path = self._new_path()
            self._files[name], self._shapes[name] = path, (n_channels, n_samples)
        with open(path, "wb") as file:
            _write_header(file, (n_channels, n_samples))
            file.truncate(file.tell() + n_channels * n_samples * _DTYPE.itemsize)

    def add(self, name: str, start: int, audio: np.ndarray, *, gain: np.float32 | None = None) -> None:
        """``stem[:, start:start + audio.shape[1]] += audio`` (times ``gain``), in the file: the float32 sums made in memory.

        Only that span is read and written, by blocks of :data:`BLOCK_SAMPLES`. With
        ``gain`` (a float32) each product ``audio * gain`` is rounded to float32 before
        it is added, as ``stem += (audio * gain).astype(np.float32)`` in memory. ``audio``
        [shape=(n_channels, n)] must lie inside the stem. For building a stem (the render,
        the mixer's sums): readers of a stem being added to see a partial sum.
        """
        self._check_open()
        n_channels, n_samples = self._shapes[name]
        a = np.asarray(audio, dtype=np.float32)
        start = int(start)
        if a.ndim != 2 or a.shape[0] != n_channels or start < 0 or start + a.shape[1] > n_samples:
            raise ParameterError.for_field("audio span", (a.shape, start), f"({n_channels}, n) samples inside the stem's {n_samples}")
        path = self._files[name]
        offset = _data_offset((n_channels, n_samples))
        n = a.shape[1]
        buffer = np.empty(min(n, BLOCK_SAMPLES), dtype=_DTYPE)  # one block, read into and written back (no array per block)
        product = None if gain is None else np.empty_like(buffer)
        with open(path, "r+b", buffering=0) as file:
            for channel in range(n_channels):
                for first in range(0, n, BLOCK_SAMPLES):
                    last = min(n, first + BLOCK_SAMPLES)
                    position = offset + (channel * n_samples + start + first) * _DTYPE.itemsize
                    span = buffer[: last - first]
                    _read_exactly(file, position, span, path)
                    part = a[channel, first:last]
                    if gain is None:
                        span += part
                    else:
                        span += np.multiply(part, np.float32(gain), out=product[: last - first])
                    file.seek(position)
                    _write_exactly(file, span)

    def read_into(self, name: str, out: np.ndarray, *, add: bool = False) -> np.ndarray:
        """``out[...] = stem`` (or ``out += stem`` with ``add``), read from the file by blocks; returns ``out``.

        ``out`` is float32 [shape=(n_channels, n_samples)], C-contiguous: no whole-stem
        buffer is made on the way (and the file is not mapped).
        """
        shape = self._shapes[name]
        if not isinstance(out, np.ndarray) or out.dtype != _DTYPE or out.shape != shape or not out.flags.c_contiguous or not out.flags.writeable:
            raise ParameterError.for_field("out", getattr(out, "shape", out), f"a writable C-contiguous float32 array of shape {shape}")
        path = self._files[name]
        buffer = np.empty(min(shape[1], BLOCK_SAMPLES), dtype=_DTYPE) if add else None
        with open(path, "rb", buffering=0) as file:
            offset = _data_offset(shape)
            for channel in range(shape[0]):
                for first in range(0, shape[1], BLOCK_SAMPLES):
                    last = min(shape[1], first + BLOCK_SAMPLES)
                    position = offset + (channel * shape[1] + first) * _DTYPE.itemsize
                    if add:
                        out[channel, first:last] += _read_exactly(file, position, buffer[: last - first], path)
                    else:
                        _read_exactly(file, position, out[channel, first:last], path)
        return out

    def put(self, name: str, audio: np.ndarray) -> None:
        """Store ``audio`` [shape=(n_channels, n_samples)] as stem ``name`` (new or replacing it), atomically.

        A reader of the old stem keeps its (old) samples; the next ``store[name]`` reads the new ones.
        """
        self._check_open()
        if not isinstance(name, str):
            raise ParameterError.for_field("name", name, "a track name (str)")
        a = np.ascontiguousarray(audio, dtype=np.float32)
        if a.ndim != 2 or a.shape[0] not in (1, 2):
            raise ParameterError.for_field("audio shape", a.shape, "(n_channels, n_samples) with 1 or 2 channels")
        with self._lock:
            path = self._files[name] if name in self._files else self._new_path()
        part = path.with_name(path.name + ".part")
        try:
            with open(part, "wb") as file:
                _write_header(file, a.shape)
                a.tofile(file)
            os.replace(part, path)  # the old file's mapping, if any, keeps the old samples
        except BaseException:
            part.unlink(missing_ok=True)  # the stem stays as it was
            raise
        with self._lock:
            self._files[name], self._shapes[name] = path, a.shape

    def _new_path(self) -> Path:
        self._made += 1
        return self.folder / f"stem-{self._made - 1}.npy"

    # -- life -----------------------------------------------------------------------------
    def close(self) -> None:
        """Remove the store's folder (arrays already read stay valid; the store is then empty)."""
        self._files, self._shapes = {}, {}
        self._finalizer()

    @property
    def closed(self) -> bool:
        """Whether the store's folder is gone."""
        return not self._finalizer.alive

    def _check_open(self) -> None:
        if self.closed:
            raise ParameterError.for_field("stem store", str(self.folder), "an open store (this one was closed)")


def _read_exactly(file, position: int, into: np.ndarray, path: Path) -> np.ndarray:
    """Fill the C-contiguous ``into`` from ``file`` (unbuffered) at byte ``position``; returns it."""
    view = memoryview(into).cast("B")
    file.seek(position)
    got = 0
    while got < len(view):
        count = file.readinto(view[got:])
        if not count:
            raise OSError(f"stem file {str(path)!r} is shorter than its header says")
        got += count
    return into


def _write_exactly(file, data: np.ndarray) -> None:
    """Write all of the C-contiguous ``data`` to ``file`` (unbuffered) at its position."""
    view = memoryview(data).cast("B")
    while view:
        view = view[file.write(view) :]


def _write_header(file, shape: tuple[int, int]) -> None:
    np.lib.format.write_array_header_1_0(file, {"descr": np.lib.format.dtype_to_descr(_DTYPE), "fortran_order": False,
                                                "shape": tuple(int(s) for s in shape)})


@functools.lru_cache(maxsize=64)
def _data_offset(shape: tuple[int, int]) -> int:
    """Where the samples start in a stem's file of ``shape``: the length of the header :func:`_write_header` writes."""
    header = io.BytesIO()
    _write_header(header, shape)
    return header.tell()


def _mapped(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The samples of ``path`` as a read-only array over a read-only memory map (unmapped when the last array using it goes)."""
    offset = _data_offset(shape)
    count = shape[0] * shape[1]
    if count == 0:
        empty = np.zeros(shape, np.float32)  # (a zero-length mapping is not allowed) a fresh, empty array
        empty.flags.writeable = False
        return empty
    with open(path, "rb") as file:
        view = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    return np.frombuffer(view, dtype=_DTYPE, count=count, offset=offset).reshape(shape)


def _remove(folder: Path, lock) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if lock is not None:
        lock.close()


def _prune_left_behind(parent: Path) -> None:
    """Remove store folders in ``parent`` that a process left behind (their lock free), holding only a store's files."""
    if fcntl is None or not parent.is_dir():
        return
    for folder in parent.glob(STORE_PREFIX + "*"):
        if not _FOLDER_NAME.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            if time.time() - folder.stat().st_mtime < _LEFT_BEHIND_SECONDS:
                continue  # young: perhaps a store being made (its lock not yet taken)
            names = {p.name for p in folder.iterdir()}
            if _LOCK not in names or not all(n == _LOCK or _FILE_NAME.fullmatch(n) for n in names):
                continue  # not (only) a store's: left alone
            with open(folder / _LOCK, "rb") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # in use by a live store
                for name in names - {_LOCK}:
                    (folder / name).unlink()
                (folder / _LOCK).unlink()
            folder.rmdir()
        except OSError:
            continue  # another process's folder, or pruned by someone else meanwhile
